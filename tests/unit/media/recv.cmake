# tests/unit/media/recv.cmake: unit test of the receive side's video
# reassembly (client/media/vasm.c, in libbilanplayout).
add_executable(test_vasm ${CMAKE_CURRENT_SOURCE_DIR}/test_vasm.c)
target_link_libraries(test_vasm PRIVATE bilanplayout)
target_compile_options(test_vasm PRIVATE ${BILAN_WARNINGS})
add_test(NAME unit.media.vasm COMMAND test_vasm)
