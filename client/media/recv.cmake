# client/media/recv.cmake: the receive side's video reassembly (issue 9,
# item 4): vasm.c puts the chunks of a VP8 frame back together. Pure logic
# like the rest of libbilanplayout (no codec, no I/O, no clock), so it joins
# that library rather than making one of its own.
target_sources(bilanplayout PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/vasm.c)
