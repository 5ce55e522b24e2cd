# lumen::lumen (every component that was built), the CMake package (lumenConfig.cmake, its version
# file, one targets file per component) and the Debian packages (cpack -G DEB).
include_guard(GLOBAL)
include(CMakePackageConfigHelpers)

# The version the code reports (telemetry.sdk.version) is the package's version.
file(STRINGS ${PROJECT_SOURCE_DIR}/include/lumen/core/version.hpp lumen_version_line
     REGEX "kVersion = \"")
if(NOT lumen_version_line MATCHES "\"${PROJECT_VERSION}\"")
  message(FATAL_ERROR "include/lumen/core/version.hpp says ${lumen_version_line}, but the project "
                      "version is ${PROJECT_VERSION}: change both together.")
endif()

get_property(LUMEN_COMPONENTS GLOBAL PROPERTY LUMEN_COMPONENTS)
add_library(lumen INTERFACE)
add_library(lumen::lumen ALIAS lumen)
foreach(component IN LISTS LUMEN_COMPONENTS)
  if(NOT component STREQUAL "beautifyai")  # an application's layer, not the toolkit's
    target_link_libraries(lumen INTERFACE lumen_${component})
  endif()
endforeach()

# Each component's lumen dependencies, for lumenConfig.cmake (in the order they were declared,
# which puts every component after what it needs).
set(LUMEN_COMPONENT_DEPENDS "")
foreach(component IN LISTS LUMEN_COMPONENTS)
  get_target_property(links lumen_${component} LINK_LIBRARIES)
  set(deps "")
  foreach(link IN LISTS links)
    if(link MATCHES "^lumen_([a-z]+)$")
      list(APPEND deps ${CMAKE_MATCH_1})
    endif()
  endforeach()
  list(JOIN deps " " deps)
  string(APPEND LUMEN_COMPONENT_DEPENDS "set(_lumen_depends_${component} ${deps})\n")
  string(APPEND lumen_module_graph "${component}: ${deps}\n")
endforeach()
# For the test that holds the sources' includes and docs/ARCHITECTURE.md to this graph.
file(WRITE ${PROJECT_BINARY_DIR}/lumen-module-graph.txt "${lumen_module_graph}")

if(NOT LUMEN_INSTALL)
  return()
endif()

install(TARGETS lumen EXPORT lumen-lumen-targets COMPONENT dev)
install(EXPORT lumen-lumen-targets NAMESPACE lumen:: DESTINATION ${LUMEN_CMAKE_INSTALL_DIR}
        COMPONENT dev)
list(JOIN LUMEN_COMPONENTS ", " LUMEN_COMPONENTS_TEXT)
if(BUILD_SHARED_LIBS)
  set(LUMEN_STATIC_LIBRARIES FALSE)
else()
  set(LUMEN_STATIC_LIBRARIES TRUE)
endif()
configure_package_config_file(cmake/lumenConfig.cmake.in
  ${PROJECT_BINARY_DIR}/lumenConfig.cmake INSTALL_DESTINATION ${LUMEN_CMAKE_INSTALL_DIR})
# 0.x: a minor version may break the API, so 0.1 satisfies a request for 0.1 only.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/lumenConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/lumenConfig.cmake ${PROJECT_BINARY_DIR}/lumenConfigVersion.cmake
        DESTINATION ${LUMEN_CMAKE_INSTALL_DIR} COMPONENT dev)

# lumen-<component>.pc for each component, and lumen.pc for all of them.
list(TRANSFORM LUMEN_COMPONENTS PREPEND "lumen-" OUTPUT_VARIABLE pc_all)
list(JOIN pc_all ", " LUMEN_PC_REQUIRES)
set(LUMEN_PC_TITLE lumen)
set(LUMEN_PC_DESCRIPTION "lumen, every component")
set(LUMEN_PC_REQUIRES_PRIVATE "")
set(LUMEN_PC_LIBS "")
set(LUMEN_PC_LIBS_PRIVATE "")
file(RELATIVE_PATH LUMEN_PC_TO_PREFIX "/${LUMEN_PKGCONFIG_INSTALL_DIR}" "/")
configure_file(cmake/lumen.pc.in ${PROJECT_BINARY_DIR}/pkgconfig/lumen.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/lumen.pc DESTINATION ${LUMEN_PKGCONFIG_INSTALL_DIR}
        COMPONENT dev)

include(LumenDebian)
