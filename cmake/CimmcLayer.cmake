# cimmc_add_layer(<layer> SOURCES ... DEPENDS ... [PRIVATE_DEPENDS ...] [BUILD_DEPENDS ...]
#                 [PROGRAM_HEADERS ...])
# One library target per layer, cimmc::<layer>, with public headers under
# <layer>/include/cimmc/<layer>/ and links only to the layers below it.
#
# What the installed package exports (find_package(cimmc CONFIG), cmake/cimmcConfig.cmake.in) is
# DEPENDS and, as link-only items, PRIVATE_DEPENDS. The build machine's compile flags
# (cimmc_arch_flags: -march=native with CIMMC_NATIVE; cimmc_warnings) and BUILD_DEPENDS reach the
# targets of this build only: BUILD_DEPENDS are for the `cimmc` program (CLI11), whose headers
# (PROGRAM_HEADERS, relative to include/cimmc/<layer>/) are not installed.
add_library(cimmc_warnings INTERFACE)
target_compile_options(cimmc_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wno-unknown-pragmas)
add_library(cimmc_arch_flags INTERFACE)
if(CIMMC_NATIVE)
  target_compile_options(cimmc_arch_flags INTERFACE -march=native)
endif()

function(cimmc_add_layer layer)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS;PRIVATE_DEPENDS;BUILD_DEPENDS;PROGRAM_HEADERS" ${ARGN})
  add_library(cimmc_${layer} ${ARG_SOURCES})
  add_library(cimmc::${layer} ALIAS cimmc_${layer})
  set_target_properties(cimmc_${layer} PROPERTIES EXPORT_NAME ${layer} OUTPUT_NAME cimmc_${layer})
  target_include_directories(cimmc_${layer} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_compile_features(cimmc_${layer} PUBLIC cxx_std_20)
  set(build_only)
  foreach(dep IN LISTS ARG_BUILD_DEPENDS)
    list(APPEND build_only $<BUILD_INTERFACE:${dep}>)
  endforeach()
  target_link_libraries(cimmc_${layer}
    PUBLIC ${ARG_DEPENDS} $<BUILD_INTERFACE:cimmc_arch_flags> ${build_only}
    PRIVATE $<BUILD_INTERFACE:cimmc_warnings> ${ARG_PRIVATE_DEPENDS})
  install(TARGETS cimmc_${layer} EXPORT cimmcTargets)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/include)
    set(excluded)
    foreach(header IN LISTS ARG_PROGRAM_HEADERS)
      list(APPEND excluded PATTERN ${header} EXCLUDE)
    endforeach()
    install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} ${excluded})
  endif()
endfunction()
