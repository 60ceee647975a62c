# client/media/mtest.cmake: what `bilan devices` and `bilan test-media`
# stand on (issue 10): the device listing (devlist.c: V4L2 and SDL2), the
# pure judgements of a test (mcheck.c: level meter, dark and frozen
# pictures) and the live test (mtest.c: a camera and a microphone read on
# their own threads, a test sound). Above the video and audio libraries.
add_library(bilanmtest STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/devlist.c
  ${CMAKE_CURRENT_SOURCE_DIR}/mcheck.c
  ${CMAKE_CURRENT_SOURCE_DIR}/mtest.c)
target_include_directories(bilanmtest PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
find_package(Threads REQUIRED)
target_link_libraries(bilanmtest PUBLIC bilanvideo bilanaudio PkgConfig::SDL2 Threads::Threads m)
target_compile_options(bilanmtest PRIVATE ${BILAN_WARNINGS})
