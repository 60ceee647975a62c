# Unit tests of the audio half of client/media (libbilanaudio): one program
# per source file; they write their media into a temporary folder and print
# their measurements (SNR, encode time...) without asserting on time.
foreach(t opus_codec awav asource asink_wav)
  add_executable(test_${t} ${CMAKE_CURRENT_SOURCE_DIR}/test_${t}.c)
  target_link_libraries(test_${t} PRIVATE bilanaudio)
  target_compile_options(test_${t} PRIVATE ${BILAN_WARNINGS})
  add_test(NAME unit.media.${t} COMMAND test_${t})
endforeach()
# The echo canceller on a synthetic echo path: speech made by espeak-ng at
# test time (SKIP, exit 77, without it).
add_executable(test_aec ${CMAKE_CURRENT_SOURCE_DIR}/test_aec.c)
target_link_libraries(test_aec PRIVATE bilanaudio m)
target_compile_options(test_aec PRIVATE ${BILAN_WARNINGS})
add_test(NAME unit.media.aec COMMAND test_aec)
set_tests_properties(unit.media.aec PROPERTIES SKIP_RETURN_CODE 77)
