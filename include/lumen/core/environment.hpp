// Environment: where configuration is read from. The process environment in production, a map in
// tests. Typed getters throw lumen::Error naming the variable, the bad value and what is expected.
//
//   lumen::Environment env = lumen::Environment::process();
//   std::chrono::milliseconds delay = env.duration_ms("OTEL_BSP_SCHEDULE_DELAY", 5000ms);
//   lumen::Environment fake({{"OTEL_SERVICE_NAME", "checkout"}});   // tests
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace lumen {

class Environment {
 public:
  // Reads the real process environment (getenv) on each lookup.
  static Environment process();
  // A fixed set of variables, for tests and embedding.
  explicit Environment(const std::map<std::string, std::string>& variables)
      : variables_(variables.begin(), variables.end()), use_process_(false) {}

  // The raw value; unset and empty are both "not configured", as the OpenTelemetry spec asks.
  [[nodiscard]] std::optional<std::string> get(std::string_view name) const;
  [[nodiscard]] std::string get_or(std::string_view name, std::string_view fallback) const;

  // A whole number >= min_value.
  [[nodiscard]] std::int64_t integer(std::string_view name, std::int64_t fallback,
                                     std::int64_t min_value = 0) const;
  // Milliseconds as a whole number, as OTEL_* durations are given.
  [[nodiscard]] std::chrono::milliseconds duration_ms(std::string_view name,
                                                      std::chrono::milliseconds fallback) const;
  // A number in [min_value, max_value].
  [[nodiscard]] double number(std::string_view name, double fallback, double min_value,
                              double max_value) const;
  // true/false (case-insensitive), as OTEL_SDK_DISABLED.
  [[nodiscard]] bool boolean(std::string_view name, bool fallback) const;

 private:
  Environment() = default;
  std::map<std::string, std::string, std::less<>> variables_;
  bool use_process_ = true;
};

}  // namespace lumen
