# cimmc_add_layer(<layer> SOURCES ... DEPENDS ...)
# One library target per layer, cimmc::<layer>, with public headers under
# <layer>/include/cimmc/<layer>/ and links only to the layers below it.
add_library(cimmc_warnings INTERFACE)
target_compile_options(cimmc_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wno-unknown-pragmas)
add_library(cimmc_arch_flags INTERFACE)
if(CIMMC_NATIVE)
  target_compile_options(cimmc_arch_flags INTERFACE -march=native)
endif()
install(TARGETS cimmc_warnings cimmc_arch_flags EXPORT cimmcTargets)

function(cimmc_add_layer layer)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS;PRIVATE_DEPENDS" ${ARGN})
  add_library(cimmc_${layer} ${ARG_SOURCES})
  add_library(cimmc::${layer} ALIAS cimmc_${layer})
  set_target_properties(cimmc_${layer} PROPERTIES EXPORT_NAME ${layer} OUTPUT_NAME cimmc_${layer})
  target_include_directories(cimmc_${layer} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_compile_features(cimmc_${layer} PUBLIC cxx_std_20)
  target_link_libraries(cimmc_${layer} PUBLIC ${ARG_DEPENDS} cimmc_arch_flags
                                       PRIVATE cimmc_warnings ${ARG_PRIVATE_DEPENDS})
  install(TARGETS cimmc_${layer} EXPORT cimmcTargets)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/include)
    install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  endif()
endfunction()
