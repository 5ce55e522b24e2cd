// OTEL_PROPAGATORS: which header formats the Runtime's Propagator reads and writes.
#pragma once

#include <string>

#include "lumen/core/environment.hpp"
#include "lumen/trace/propagator.hpp"

namespace lumen::detail {

struct PropagatorsSetting {
  propagation::Propagator propagator;
  // Non-empty when the variable named formats lumen does not know: they are skipped (the SDK
  // environment rule; when nothing known is left, nor "none", the default is used), and this line
  // says so, naming the variable, the value and what is used.
  std::string warning;
};

// Unset or empty: tracecontext,baggage.
[[nodiscard]] PropagatorsSetting read_propagators(const Environment& env);

// Writes the warning to stderr, the first time only: a process reads its configuration once, and
// a program that builds several Configs should not repeat it.
void warn_about_propagators_once(const std::string& warning) noexcept;

}  // namespace lumen::detail
