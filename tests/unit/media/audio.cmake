# Unit tests of the audio half of client/media (libbilanaudio): one program
# per source file; they write their media into a temporary folder and print
# their measurements (SNR, encode time...) without asserting on time.
foreach(t opus_codec awav asource asink_wav)
  add_executable(test_${t} ${CMAKE_CURRENT_SOURCE_DIR}/test_${t}.c)
  target_link_libraries(test_${t} PRIVATE bilanaudio)
  target_compile_options(test_${t} PRIVATE ${BILAN_WARNINGS})
  add_test(NAME unit.media.${t} COMMAND test_${t})
endforeach()
