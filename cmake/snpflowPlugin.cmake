# snpflow_add_plugin(<name> <source>...)
#
# Build a snpflow plugin: a MODULE library <name>.so (no "lib" prefix) compiled as C++17 against
# the snpflow headers and linked to libsnpflow, ready for `snpflow --plugin <name>.so` or a
# directory in SNPFLOW_PLUGIN_PATH. Used in-tree by plugins/ and out of tree after
# find_package(snpflow), which provides the imported target snpflow::snpflow.
function(snpflow_add_plugin name)
  if(NOT ARGN)
    message(FATAL_ERROR "snpflow_add_plugin(${name}): give at least one source file")
  endif()
  if(NOT TARGET snpflow::snpflow)
    message(FATAL_ERROR "snpflow_add_plugin(${name}): target snpflow::snpflow is missing; "
                        "call find_package(snpflow REQUIRED) first")
  endif()
  add_library(${name} MODULE ${ARGN})
  target_link_libraries(${name} PRIVATE snpflow::snpflow)
  target_compile_features(${name} PRIVATE cxx_std_17)
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    CXX_EXTENSIONS OFF
    POSITION_INDEPENDENT_CODE ON)
  # Report a missing symbol when the plugin is linked, not when snpflow dlopens it.
  target_link_options(${name} PRIVATE "LINKER:-z,defs")
endfunction()
