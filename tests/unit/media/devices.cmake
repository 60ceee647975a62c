# tests/unit/media/devices.cmake: unit tests of the real devices. There is
# no camera on a build machine: test_v4l2 checks the conversions on
# synthetic YUYV and JPEG bytes and the errors on paths that are not
# cameras. The SDL tests run SDL's "disk" audio driver (a raw file stands
# for the microphone and the speaker) or its "dummy" driver (no device).
add_executable(test_v4l2 ${CMAKE_CURRENT_SOURCE_DIR}/test_v4l2.c)
target_link_libraries(test_v4l2 PRIVATE bilanvideo m)
target_compile_options(test_v4l2 PRIVATE ${BILAN_WARNINGS})
add_test(NAME unit.media.v4l2 COMMAND test_v4l2)
add_executable(test_sdl_audio ${CMAKE_CURRENT_SOURCE_DIR}/test_sdl_audio.c)
target_link_libraries(test_sdl_audio PRIVATE bilanaudio)
target_compile_options(test_sdl_audio PRIVATE ${BILAN_WARNINGS})
add_test(NAME unit.media.sdl_audio COMMAND test_sdl_audio)
# `bilan devices` and `bilan test-media` (issue 10): the listing against a
# moved camera folder and SDL's dummy driver, with its words (bilanclient);
# the thresholds and the live test with the test sources.
add_executable(test_devlist ${CMAKE_CURRENT_SOURCE_DIR}/test_devlist.c)
target_link_libraries(test_devlist PRIVATE bilanclient)
target_compile_options(test_devlist PRIVATE ${BILAN_WARNINGS})
add_test(NAME unit.media.devlist COMMAND test_devlist)
add_executable(test_mcheck ${CMAKE_CURRENT_SOURCE_DIR}/test_mcheck.c)
target_link_libraries(test_mcheck PRIVATE bilanmtest)
target_compile_options(test_mcheck PRIVATE ${BILAN_WARNINGS})
add_test(NAME unit.media.mcheck COMMAND test_mcheck)
# A pretend camera (fake_v4l2.c, LD_PRELOAD): the listing of a real V4L2
# answer, its formats and sizes, and a busy camera.
add_library(fake_v4l2 MODULE ${CMAKE_CURRENT_SOURCE_DIR}/fake_v4l2.c)
target_link_libraries(fake_v4l2 PRIVATE ${CMAKE_DL_LIBS})
set_target_properties(fake_v4l2 PROPERTIES PREFIX "lib")
add_test(NAME unit.media.devlist_fake_camera COMMAND test_devlist fake-camera)
set_tests_properties(unit.media.devlist_fake_camera PROPERTIES SKIP_RETURN_CODE 77
  ENVIRONMENT "LD_PRELOAD=$<TARGET_FILE:fake_v4l2>;ASAN_OPTIONS=verify_asan_link_order=0")
