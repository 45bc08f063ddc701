# Warnings for the project's own targets (vpcdns_warnings is linked by every target).
add_library(vpcdns_warnings INTERFACE)
target_compile_options(vpcdns_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual -Wnull-dereference
  -Wimplicit-fallthrough)
if(VPCDNS_WERROR)
  target_compile_options(vpcdns_warnings INTERFACE -Werror)
endif()
# g++ 12 at -O3 reports false -Wrestrict errors inside std::string concatenation (GCC bug
# 105651, fixed in 13); the warning stays on for other compilers.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(vpcdns_warnings INTERFACE -Wno-restrict)
endif()
