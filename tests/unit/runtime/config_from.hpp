// Config from a given set of environment variables, for the configuration tests.
#pragma once

#include <map>
#include <string>

#include "lumen/config.hpp"
#include "lumen/core/error.hpp"

namespace lumen::testing {

inline Config config_from(const std::map<std::string, std::string>& vars) {
  return Config::from_env(Environment(vars));
}

// The message of the lumen::Error that the variables cause, or "" when they are accepted.
inline std::string config_error(const std::map<std::string, std::string>& vars) {
  try {
    (void)config_from(vars);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace lumen::testing
