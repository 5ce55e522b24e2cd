# lumen_optional(<NAME> "<what it needs, and the Debian packages>"
#   [PACKAGES "<find_package arguments>"...]    CONFIG or module packages
#   [PKG_MODULES <prefix> <pkg-config spec>...]  pkg-config modules (imported as PkgConfig::<prefix>)
#   [COMPONENTS <NAME>...])                       other optional components it needs
#
# Looks for what the optional component LUMEN_WITH_<NAME> needs. When something is missing the
# component is switched off with a warning that says what to install, instead of failing the
# configure; the components that need it follow.
include_guard(GLOBAL)

macro(lumen_optional name what)
  cmake_parse_arguments(_lumen_opt "" "" "PACKAGES;PKG_MODULES;COMPONENTS" ${ARGN})
  if(LUMEN_WITH_${name})
    set(_lumen_missing "")
    foreach(_lumen_component IN LISTS _lumen_opt_COMPONENTS)
      if(NOT LUMEN_WITH_${_lumen_component})
        list(APPEND _lumen_missing "LUMEN_WITH_${_lumen_component} is off")
      endif()
    endforeach()
    foreach(_lumen_package IN LISTS _lumen_opt_PACKAGES)
      string(REPLACE " " ";" _lumen_package_args "${_lumen_package}")
      list(GET _lumen_package_args 0 _lumen_package_name)
      find_package(${_lumen_package_args} QUIET)
      if(NOT ${_lumen_package_name}_FOUND)
        list(APPEND _lumen_missing "${_lumen_package_name} not found")
      endif()
    endforeach()
    set(_lumen_modules ${_lumen_opt_PKG_MODULES})
    while(_lumen_modules)
      list(POP_FRONT _lumen_modules _lumen_prefix _lumen_spec)
      if(NOT PKG_CONFIG_FOUND)
        list(APPEND _lumen_missing "pkg-config not found")
      else()
        pkg_check_modules(${_lumen_prefix} QUIET IMPORTED_TARGET ${_lumen_spec})
        if(NOT ${_lumen_prefix}_FOUND)
          list(APPEND _lumen_missing "${_lumen_spec} not found")
        endif()
      endif()
    endwhile()
    if(_lumen_missing)
      list(JOIN _lumen_missing ", " _lumen_missing)
      message(WARNING "lumen: LUMEN_WITH_${name} is switched off: it needs ${what} "
                      "(${_lumen_missing}). Install what is missing, or pass "
                      "-DLUMEN_WITH_${name}=OFF to silence this.")
      set(LUMEN_WITH_${name} OFF)
    endif()
  endif()
endmacro()
