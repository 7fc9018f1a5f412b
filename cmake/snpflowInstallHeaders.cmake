# Run by `cmake --install` (install(CODE) in the top-level CMakeLists.txt). Installs the
# plugin-facing headers and, transitively, every project header they #include "...", so an
# installed header never includes one that is missing. Inputs: SNPFLOW_HEADER_SOURCE_DIR (the
# source tree) and SNPFLOW_HEADER_DEST (<prefix>/include/snpflow).
file(GLOB roots RELATIVE "${SNPFLOW_HEADER_SOURCE_DIR}" "${SNPFLOW_HEADER_SOURCE_DIR}/pipeline/*.h")
list(FILTER roots EXCLUDE REGEX "_internal\\.h$")
list(APPEND roots io/atomic_file.h io/npy.h)

set(queue ${roots})
set(headers)
while(queue)
  list(POP_FRONT queue header)
  list(FIND headers "${header}" seen)  # not IN_LIST: install scripts run with old policies
  if(NOT seen EQUAL -1 OR NOT EXISTS "${SNPFLOW_HEADER_SOURCE_DIR}/${header}")
    continue()
  endif()
  list(APPEND headers ${header})
  file(STRINGS "${SNPFLOW_HEADER_SOURCE_DIR}/${header}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]+)\".*$" "\\1" included "${line}")
    if(included MATCHES "_internal\\.h$")
      message(WARNING "installed header ${header} includes the private header ${included}; "
                      "plugins that include ${header} will not compile")
    endif()
    list(APPEND queue ${included})
  endforeach()
endwhile()

list(SORT headers)
foreach(header IN LISTS headers)
  get_filename_component(dir "${header}" DIRECTORY)
  file(INSTALL DESTINATION "${SNPFLOW_HEADER_DEST}/${dir}" TYPE FILE
       FILES "${SNPFLOW_HEADER_SOURCE_DIR}/${header}")
endforeach()
