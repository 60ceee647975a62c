# libbilanplayout: the receive side's playout logic (issue 9, item 4): the
# adaptive jitter buffer (jitter.c) and lip sync (avsync.c). Pure logic: no
# codec, no I/O, no clock, no thread; times are passed in, in microseconds.
add_library(bilanplayout STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/jitter.c
  ${CMAKE_CURRENT_SOURCE_DIR}/avsync.c)
target_include_directories(bilanplayout PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(bilanplayout PUBLIC bilanproto bilani18n)
target_compile_options(bilanplayout PRIVATE ${BILAN_WARNINGS})
