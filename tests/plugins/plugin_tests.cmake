# Included by tests/CMakeLists.txt after plugin_tests is defined (issue 4). Builds the broken test
# plugins as MODULE libraries and hands every plugin's path to the tests; nothing is linked in.
if(NOT TARGET plugin_tests)
  return()
endif()
include(${PROJECT_SOURCE_DIR}/cmake/snpflowPlugin.cmake)

set(_dir ${CMAKE_CURRENT_LIST_DIR}/broken)
add_library(snpflow_test_no_symbol MODULE ${_dir}/no_symbol.c)
add_library(snpflow_test_bad_abi MODULE ${_dir}/bad_abi.c)
target_include_directories(snpflow_test_bad_abi PRIVATE ${PROJECT_SOURCE_DIR})
snpflow_add_plugin(snpflow_test_throwing ${_dir}/throwing.cc)
snpflow_add_plugin(snpflow_test_clash ${_dir}/clash.cc)
snpflow_add_plugin(snpflow_test_exploding ${_dir}/exploding.cc)
add_library(snpflow_test_throwing_entry MODULE ${_dir}/throwing_entry.cc)
target_include_directories(snpflow_test_throwing_entry PRIVATE ${PROJECT_SOURCE_DIR})
set(_test_plugins snpflow_test_no_symbol snpflow_test_bad_abi snpflow_test_throwing
    snpflow_test_clash snpflow_test_exploding snpflow_test_throwing_entry)
set_target_properties(${_test_plugins} PROPERTIES
  PREFIX "" LIBRARY_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/test_plugins)

add_dependencies(plugin_tests ${_test_plugins} hwe_filter centroid_trainer)
target_compile_definitions(plugin_tests PRIVATE
  SNPFLOW_TEST_NO_SYMBOL_SO="$<TARGET_FILE:snpflow_test_no_symbol>"
  SNPFLOW_TEST_BAD_ABI_SO="$<TARGET_FILE:snpflow_test_bad_abi>"
  SNPFLOW_TEST_THROWING_SO="$<TARGET_FILE:snpflow_test_throwing>"
  SNPFLOW_TEST_CLASH_SO="$<TARGET_FILE:snpflow_test_clash>"
  SNPFLOW_TEST_EXPLODING_SO="$<TARGET_FILE:snpflow_test_exploding>"
  SNPFLOW_TEST_THROWING_ENTRY_SO="$<TARGET_FILE:snpflow_test_throwing_entry>"
  SNPFLOW_HWE_FILTER_SO="$<TARGET_FILE:hwe_filter>"
  SNPFLOW_CENTROID_TRAINER_SO="$<TARGET_FILE:centroid_trainer>"
  SNPFLOW_CMAKE_COMMAND="${CMAKE_COMMAND}"
  SNPFLOW_MAKE_PROGRAM="${CMAKE_MAKE_PROGRAM}")
