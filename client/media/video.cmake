# client/media/video.cmake: the video half of the media pipeline (issue 9):
# the picture type, VP8 over libvpx, the sources (test pattern, .y4m file)
# and the .y4m sink. Headless, no threads: the capture and encoder threads
# come later and call these plainly.
add_library(bilanvideo STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/vframe.c
  ${CMAKE_CURRENT_SOURCE_DIR}/vp8.c
  ${CMAKE_CURRENT_SOURCE_DIR}/vy4m.c
  ${CMAKE_CURRENT_SOURCE_DIR}/vsrc_base.c
  ${CMAKE_CURRENT_SOURCE_DIR}/vsource.c
  ${CMAKE_CURRENT_SOURCE_DIR}/vsrc_pattern.c
  ${CMAKE_CURRENT_SOURCE_DIR}/vsrc_y4m.c
  ${CMAKE_CURRENT_SOURCE_DIR}/vsink_y4m.c)
target_include_directories(bilanvideo PUBLIC ${CMAKE_CURRENT_SOURCE_DIR} ${YUV_INCLUDE_DIR})
target_link_libraries(bilanvideo PUBLIC bilanproto bilani18n PkgConfig::VPX ${YUV_LIBRARY} PkgConfig::JPEG)
target_compile_options(bilanvideo PRIVATE ${BILAN_WARNINGS})
