# client/media/devices.cmake: the real devices of the media pipeline (issue
# 9): the V4L2 camera joins the video library (vsource.c lists its table),
# the SDL2 microphone and speaker join the audio library (asource.c lists
# the microphone's table; asink_sdl mirrors asink_wav). Included after
# video.cmake and audio.cmake, whose targets it extends.
if(NOT TARGET PkgConfig::SDL2)
  pkg_check_modules(SDL2 REQUIRED IMPORTED_TARGET sdl2)
endif()
target_sources(bilanvideo PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/vsrc_v4l2.c)
target_sources(bilanaudio PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/asrc_sdl.c
  ${CMAKE_CURRENT_SOURCE_DIR}/asink_sdl.c)
target_link_libraries(bilanaudio PUBLIC PkgConfig::SDL2)
