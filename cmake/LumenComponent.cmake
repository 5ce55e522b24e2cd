# lumen_component: one library per module of docs/ARCHITECTURE.md, installed and exported as
# lumen::<name>, with a pkg-config file lumen-<name>.pc.
#
#   lumen_component(<name>
#     SOURCES <glob>...         its sources
#     HEADERS <glob>...         its public headers (under include/)
#     EXCLUDE <regex>           sources and headers matched by SOURCES or HEADERS that belong to
#                               another component
#     DEPENDS <component>...    the lumen components its headers and sources use
#     LINK <target>...          third-party libraries it links (a static consumer links them too)
#     BUILD_ONLY <target>...    header-only libraries needed to compile it, never by a consumer
#     PC_REQUIRES <module>...   pkg-config names of LINK, for lumen-<name>.pc
#     PC_LIBS <flag>...)        link flags without a pkg-config file (e.g. -pthread)
#
# The component list, each component's lumen dependencies and its third-party dependencies end up
# in lumenConfig.cmake, which loads only what a consumer asks for (cmake/lumenConfig.cmake.in).
include_guard(GLOBAL)
include(GNUInstallDirs)
include(LumenUnity)

set(LUMEN_CMAKE_INSTALL_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/lumen")
set(LUMEN_PKGCONFIG_INSTALL_DIR "${CMAKE_INSTALL_LIBDIR}/pkgconfig")

function(lumen_component name)
  cmake_parse_arguments(arg "" "EXCLUDE" "SOURCES;HEADERS;DEPENDS;LINK;BUILD_ONLY;PC_REQUIRES;PC_LIBS"
                        ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${arg_SOURCES})
  file(GLOB_RECURSE headers CONFIGURE_DEPENDS ${arg_HEADERS})
  if(arg_EXCLUDE)
    list(FILTER sources EXCLUDE REGEX "${arg_EXCLUDE}")
    list(FILTER headers EXCLUDE REGEX "${arg_EXCLUDE}")
  endif()
  set(target lumen_${name})
  lumen_unity_sources(compiled ${target} "${sources}")
  add_library(${target} ${compiled})
  lumen_unity_options(${target})
  add_library(lumen::${name} ALIAS ${target})
  set_target_properties(${target} PROPERTIES
    EXPORT_NAME ${name}
    OUTPUT_NAME lumen-${name}
    VERSION ${PROJECT_VERSION}
    # 0.x: every minor version may change the ABI.
    SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
  target_sources(${target} PUBLIC FILE_SET HEADERS BASE_DIRS ${PROJECT_SOURCE_DIR}/include
                 FILES ${headers})
  # The unity batches include the sources by their path in the tree.
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR})
  target_compile_features(${target} PUBLIC cxx_std_20)
  foreach(dep IN LISTS arg_DEPENDS)
    target_link_libraries(${target} PUBLIC lumen_${dep})
  endforeach()
  target_link_libraries(${target} PRIVATE ${arg_LINK})
  foreach(dep IN LISTS arg_BUILD_ONLY)
    target_link_libraries(${target} PRIVATE $<BUILD_INTERFACE:${dep}>)
  endforeach()
  if(BUILD_SHARED_LIBS)
    # Export lumen's namespace and nothing else: not the instantiations of Asio, Beast or
    # nlohmann::json that a component compiles in, which would otherwise become its ABI.
    target_link_options(${target} PRIVATE
      "LINKER:--version-script=${PROJECT_SOURCE_DIR}/cmake/lumen.map")
    set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${PROJECT_SOURCE_DIR}/cmake/lumen.map)
  endif()

  set_property(GLOBAL APPEND PROPERTY LUMEN_COMPONENTS ${name})
  if(NOT LUMEN_INSTALL)
    return()
  endif()
  install(TARGETS ${target} EXPORT lumen-${name}-targets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
    FILE_SET HEADERS DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
  install(EXPORT lumen-${name}-targets NAMESPACE lumen:: DESTINATION ${LUMEN_CMAKE_INSTALL_DIR}
          COMPONENT dev)

  # pkg-config: a static library needs its third-party libraries on the consumer's link line, so
  # they are public requirements unless the libraries are shared.
  set(pc_lumen_requires "")
  foreach(dep IN LISTS arg_DEPENDS)
    list(APPEND pc_lumen_requires lumen-${dep})
  endforeach()
  set(pc_requires ${pc_lumen_requires})
  set(pc_requires_private "")
  set(pc_libs "")
  set(pc_libs_private "")
  if(BUILD_SHARED_LIBS)
    list(APPEND pc_requires_private ${arg_PC_REQUIRES})
    list(APPEND pc_libs_private ${arg_PC_LIBS})
  else()
    list(APPEND pc_requires ${arg_PC_REQUIRES})
    list(APPEND pc_libs ${arg_PC_LIBS})
  endif()
  if(sources)
    list(PREPEND pc_libs "-L\${libdir}" "-llumen-${name}")
  endif()
  list(JOIN pc_requires ", " LUMEN_PC_REQUIRES)
  list(JOIN pc_requires_private ", " LUMEN_PC_REQUIRES_PRIVATE)
  list(JOIN pc_libs " " LUMEN_PC_LIBS)
  list(JOIN pc_libs_private " " LUMEN_PC_LIBS_PRIVATE)
  set(LUMEN_PC_TITLE lumen-${name})
  set(LUMEN_PC_DESCRIPTION "lumen, the ${name} component")
  file(RELATIVE_PATH LUMEN_PC_TO_PREFIX "/${LUMEN_PKGCONFIG_INSTALL_DIR}" "/")
  configure_file(${PROJECT_SOURCE_DIR}/cmake/lumen.pc.in
                 ${PROJECT_BINARY_DIR}/pkgconfig/lumen-${name}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/lumen-${name}.pc
          DESTINATION ${LUMEN_PKGCONFIG_INSTALL_DIR} COMPONENT dev)
endfunction()
