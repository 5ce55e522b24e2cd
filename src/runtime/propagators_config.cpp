#include "propagators_config.hpp"

#include <atomic>

#include "core/ascii.hpp"
#include "core/stderr_line.hpp"

namespace lumen::detail {
namespace {

bool names_none(std::string_view names) {
  for (std::size_t start = 0; start <= names.size();) {
    std::size_t comma = names.find(',', start);
    if (comma == std::string_view::npos) comma = names.size();
    if (ascii::iequals(ascii::trim_ows(names.substr(start, comma - start)), "none")) return true;
    start = comma + 1;
  }
  return false;
}

}  // namespace

PropagatorsSetting read_propagators(const Environment& env) {
  PropagatorsSetting setting;
  const std::optional<std::string> value = env.get("OTEL_PROPAGATORS");
  if (!value || value->find_first_not_of(" \t") == std::string::npos) return setting;
  std::string unknown;
  setting.propagator = propagation::Propagator::from_names(*value, &unknown);
  // Only unknown names (a typo such as "tracecontxt"): the setting is ignored as a whole, as the
  // SDK's rules ask of an unrecognised value, rather than switching propagation off.
  if (!unknown.empty() && setting.propagator.names() == "none" && !names_none(*value)) {
    setting.propagator = propagation::Propagator();
  }
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
