# libbilanaudio: the audio half of client/media. Glue over libopus
# (opus_codec.c) and speexdsp (asrc_wav.c); the rest is plain C. Headless:
# no threads and no SDL here (the capture and playback threads come later).
add_library(bilanaudio STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/opus_codec.c
  ${CMAKE_CURRENT_SOURCE_DIR}/awav.c
  ${CMAKE_CURRENT_SOURCE_DIR}/asource.c
  ${CMAKE_CURRENT_SOURCE_DIR}/asrc_tone.c
  ${CMAKE_CURRENT_SOURCE_DIR}/asrc_wav.c
  ${CMAKE_CURRENT_SOURCE_DIR}/asink_wav.c)
target_include_directories(bilanaudio PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(bilanaudio PUBLIC bilanproto bilani18n PkgConfig::OPUS PkgConfig::SPEEXDSP m)
target_compile_options(bilanaudio PRIVATE ${BILAN_WARNINGS})
