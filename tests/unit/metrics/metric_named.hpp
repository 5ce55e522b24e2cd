// The metric of a snapshot that has the given name, for the metrics tests.
#pragma once

#include <stdexcept>
#include <string>

#include "lumen/metrics/meter.hpp"

namespace lumen::metrics {

inline const MetricData& metric_named(const MetricsSnapshot& s, const std::string& name) {
  for (const MetricData& m : s.metrics) {
    if (m.name == name) return m;
  }
  throw std::runtime_error("no metric " + name);
}

}  // namespace lumen::metrics
