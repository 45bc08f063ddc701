# Warnings for the project's own targets (vpcdns_warnings is linked by every target).
add_library(vpcdns_warnings INTERFACE)
target_compile_options(vpcdns_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual -Wnull-dereference
  -Wimplicit-fallthrough)
if(VPCDNS_WERROR)
  target_compile_options(vpcdns_warnings INTERFACE -Werror)
endif()
