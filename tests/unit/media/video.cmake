# tests/unit/media/video.cmake: unit tests of the video half of client/media
# (bilanvideo): one program per topic, temporary files under a folder each
# test creates and removes.
foreach(t vp8 vsource vsink)
  add_executable(test_media_${t} ${CMAKE_CURRENT_SOURCE_DIR}/test_${t}.c)
  target_link_libraries(test_media_${t} PRIVATE bilanvideo)
  target_compile_options(test_media_${t} PRIVATE ${BILAN_WARNINGS})
  add_test(NAME unit.media.${t} COMMAND test_media_${t})
endforeach()
