# Install rules and a package config so that find_package(cimmc CONFIG) works for other tools.
include(CMakePackageConfigHelpers)
install(EXPORT cimmcTargets NAMESPACE cimmc:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/cimmc)
configure_package_config_file(${CMAKE_CURRENT_SOURCE_DIR}/cmake/cimmcConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/cimmcConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/cimmc)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/cimmcConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/cimmcConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/cimmcConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/cimmc)
install(DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/data/ DESTINATION ${CMAKE_INSTALL_DATADIR}/cimmc)
