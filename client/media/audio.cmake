# libbilanaudio: the audio half of client/media. Glue over libopus
# (opus_codec.c) and speexdsp (asrc_wav.c, aec.c); the rest is plain C.
# Starts no thread of its own (aec.c only locks a mutex between the threads
# that call it); SDL joins through devices.cmake.
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
# The echo canceller and noise suppressor of the microphone (issue 10, part
# 5): speexdsp's echo canceller and preprocessor behind aec.h. Shared by
# the playout thread (the speaker's blocks) and the capture thread.
target_sources(bilanaudio PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/aec.c)
find_package(Threads REQUIRED)
target_link_libraries(bilanaudio PUBLIC Threads::Threads)
