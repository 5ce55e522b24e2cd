# Debian packages: `cpack -G DEB` in a build directory gives
#   liblumen-dev   headers, libraries, the CMake package and the pkg-config files
#   lumen-tools    lumen-image and the reference service's programs (when LUMEN_BUILD_APPS is on)
include_guard(GLOBAL)

set(CPACK_PACKAGE_NAME lumen)
set(CPACK_PACKAGE_VENDOR "lumen")
set(CPACK_PACKAGE_CONTACT "lumen maintainers <lumen@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)

set(CPACK_DEBIAN_DEV_PACKAGE_NAME liblumen-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_DEV_DESCRIPTION
  "lumen: tracing, metrics, structured logs and performance tools for C++20 services
 Headers, static libraries, the CMake package (find_package(lumen)) and pkg-config files.")
# A static library's consumer links its third-party libraries too, so it needs their -dev packages.
set(lumen_dev_depends "libstdc++-12-dev")
if(LUMEN_WITH_EXPORT OR LUMEN_WITH_REPORT)
  list(APPEND lumen_dev_depends "libcurl4-openssl-dev | libcurl-dev" zlib1g-dev)
endif()
if(LUMEN_WITH_IMAGE)
  list(APPEND lumen_dev_depends "libvips-dev (>= 8.14)" libdeflate-dev)
endif()
if(LUMEN_WITH_REDIS)
  list(APPEND lumen_dev_depends libhiredis-dev)
endif()
list(JOIN lumen_dev_depends ", " CPACK_DEBIAN_DEV_PACKAGE_DEPENDS)
set(CPACK_DEBIAN_DEV_PACKAGE_SUGGESTS "cmake (>= 3.25), pkg-config")

set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME lumen-tools)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION utils)
set(CPACK_COMPONENT_TOOLS_DESCRIPTION
  "lumen's programs: lumen-image and the BeautifyAI reference service
 lumen-image optimizes images on libvips; beautifyai, modelsim and loadgen are the reference
 gateway, its simulated AI models and its load generator.")
# The programs' shared libraries (libvips, libcurl, hiredis...) as dpkg-shlibdeps finds them.
set(CPACK_DEBIAN_TOOLS_PACKAGE_SHLIBDEPS ON)

if(LUMEN_BUILD_APPS)
  set(CPACK_COMPONENTS_ALL dev tools)
else()
  set(CPACK_COMPONENTS_ALL dev)
endif()
include(CPack)
