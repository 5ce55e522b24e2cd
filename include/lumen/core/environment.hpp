// Environment: where configuration is read from. The process environment in production, a map in
// tests. Typed getters throw lumen::Error naming the variable, the bad value and what is expected;
// those of warning_on_invalid() instead warn once on stderr (naming the variable, the value and
// the default used) and return the default, as the OpenTelemetry SDK specification asks for OTEL_*.
//
//   lumen::Environment env = lumen::Environment::process();
//   std::chrono::milliseconds delay = env.duration_ms("OTEL_BSP_SCHEDULE_DELAY", 5000ms);
//   lumen::Environment fake({{"OTEL_SERVICE_NAME", "checkout"}});   // tests
//   std::int64_t queue = env.warning_on_invalid().integer("OTEL_BSP_MAX_QUEUE_SIZE", 1000, 1);
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

  // The same variables; its typed getters warn and return the fallback on a value they cannot use.
  [[nodiscard]] Environment warning_on_invalid() const;

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
  // Throws lumen::Error, or warns when warn_on_invalid_ (then the caller returns the fallback).
  void invalid(std::string_view name, std::string_view value, std::string_view expected,
               std::string_view fallback) const;
  std::map<std::string, std::string, std::less<>> variables_;
  bool use_process_ = true;
  bool warn_on_invalid_ = false;
};

}  // namespace lumen
