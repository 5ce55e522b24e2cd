#include "propagators_config.hpp"

#include <atomic>

#include "core/stderr_line.hpp"

namespace lumen::detail {

PropagatorsSetting read_propagators(const Environment& env) {
  PropagatorsSetting setting;
  const std::optional<std::string> value = env.get("OTEL_PROPAGATORS");
  if (!value || value->find_first_not_of(" \t") == std::string::npos) return setting;
  std::string unknown;
  setting.propagator = propagation::Propagator::from_names(*value, &unknown);
  if (!unknown.empty()) {
    setting.warning =
        "lumen: OTEL_PROPAGATORS='" + *value + "': unknown propagator '" + unknown +
        "' skipped (known: tracecontext, baggage, b3, b3multi, jaeger, none); using " +
        setting.propagator.names();
  }
  return setting;
}

void warn_about_propagators_once(const std::string& warning) noexcept {
  static std::atomic<bool> warned{false};
  if (warning.empty() || warned.exchange(true)) return;
  write_stderr_line(warning);
}

}  // namespace lumen::detail
