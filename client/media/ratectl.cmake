# libbilanratectl: the send side's rate control (issue 9, item 3): the VP8
# target bitrate and the per-picture encode/skip decision from the backlog,
# the delivery rate, the RTT and the server's report on the worst receiver.
# Pure logic: no codec (the caller applies the bitrate with vp8.h), no I/O,
# no clock, no thread; times are passed in, in microseconds.
add_library(bilanratectl STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/ratectl.c)
target_include_directories(bilanratectl PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(bilanratectl PUBLIC bilanproto bilani18n)
target_compile_options(bilanratectl PRIVATE ${BILAN_WARNINGS})
