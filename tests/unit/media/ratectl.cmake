# Unit test of the rate control (libbilanratectl): a simulated link (a
# bottleneck, the sender's queue, audio first) and a model of libvpx's
# rate, in simulated time; prints the settling, backlog and recovery figures.
add_executable(test_ratectl ${CMAKE_CURRENT_SOURCE_DIR}/test_ratectl.c)
target_link_libraries(test_ratectl PRIVATE bilanratectl)
target_compile_options(test_ratectl PRIVATE ${BILAN_WARNINGS})
add_test(NAME unit.media.ratectl COMMAND test_ratectl)
