# Unit tests of the playout logic (libbilanplayout): simulated arrivals and
# ticks from a deterministic PRNG; each prints its settled delays and counts.
foreach(t jitter avsync)
  add_executable(test_${t} ${CMAKE_CURRENT_SOURCE_DIR}/test_${t}.c)
  target_link_libraries(test_${t} PRIVATE bilanplayout)
  target_compile_options(test_${t} PRIVATE ${BILAN_WARNINGS})
  add_test(NAME unit.media.${t} COMMAND test_${t})
endforeach()
