// lumen::Error: the one exception type lumen throws, and only for set-up mistakes.
//
// Instrumentation never throws into the application. Configuration that cannot be used (a bad
// OTEL_* value, a port in use) throws lumen::Error with a message that says what was wrong and
// what to do about it.
//
//   try { auto config = lumen::Config::from_env(); }
//   catch (const lumen::Error& e) { std::cerr << e.what() << '\n'; return 2; }
#pragma once

#include <stdexcept>
#include <string>

namespace lumen {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace lumen
