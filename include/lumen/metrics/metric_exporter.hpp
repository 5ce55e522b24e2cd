// MetricExporter: where a PeriodicMetricReader sends each collection (OTLP, the console, a test
// double). Defined in the metrics module so that the reader does not depend on any transport; the
// OTLP exporter lives in lumen/export/otlp_metric_exporter.hpp.
//
//   class Printer final : public lumen::metrics::MetricExporter {
//    public:
//     lumen::metrics::MetricExportResult export_metrics(const lumen::metrics::MetricsSnapshot& s,
//                                                       lumen::Deadline) noexcept override {
//       std::cout << lumen::metrics::serialize(s,
//       lumen::metrics::ExpositionFormat::kPrometheusText); return
//       lumen::metrics::MetricExportResult::kSuccess;
//     }
//   };
//
// Thread-safety: export_metrics is called by one thread at a time; shutdown() may be called from
// another thread while an export runs and must make that export return promptly.
#pragma once

#include <cstdint>

#include "lumen/core/deadline.hpp"
#include "lumen/metrics/metric_data.hpp"

namespace lumen::metrics {

enum class MetricExportResult : std::uint8_t { kSuccess, kFailure };

// OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE.
enum class TemporalityPreference : std::uint8_t {
  kCumulative,  // everything cumulative (the default)
  kDelta,       // counters (sync and observable) and histograms delta; up-down counters cumulative
  kLowMemory,   // sync counters and histograms delta; observable counters and up-down counters
                // cumulative
};

// The temporality that `preference` asks for, per the OpenTelemetry exporter specification.
[[nodiscard]] constexpr Temporality temporality_for(TemporalityPreference preference,
                                                    InstrumentKind kind) noexcept {
  switch (kind) {
    case InstrumentKind::kCounter:
    case InstrumentKind::kHistogram:
      return preference == TemporalityPreference::kCumulative ? Temporality::kCumulative
                                                              : Temporality::kDelta;
    case InstrumentKind::kObservableCounter:
      return preference == TemporalityPreference::kDelta ? Temporality::kDelta
                                                         : Temporality::kCumulative;
    case InstrumentKind::kUpDownCounter:
    case InstrumentKind::kObservableUpDownCounter:
    case InstrumentKind::kObservableGauge:
      return Temporality::kCumulative;
  }
  return Temporality::kCumulative;
}

class MetricExporter {
 public:
  virtual ~MetricExporter() = default;

  // Sends one collection. Must return by `deadline`, never throw.
  [[nodiscard]] virtual MetricExportResult export_metrics(const MetricsSnapshot& snapshot,
                                                          Deadline deadline) noexcept = 0;
  // What the exporter wants for each instrument kind; the reader converts before exporting.
  [[nodiscard]] virtual Temporality temporality(InstrumentKind kind) const noexcept {
    return temporality_for(TemporalityPreference::kCumulative, kind);
  }
  // Aborts a running export; later exports fail at once.
  virtual void shutdown(Deadline) noexcept {}
};

}  // namespace lumen::metrics
