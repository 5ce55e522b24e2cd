// PeriodicMetricReader: collects a MeterProvider every interval on its own thread and hands each
// collection to a MetricExporter, converted to the temporality the exporter asks for.
//
//   auto exporter = std::make_shared<lumen::exporters::OtlpHttpMetricExporter>(options);
//   lumen::metrics::PeriodicMetricReader reader(provider, exporter, {
//       .interval = std::chrono::seconds(60),   // OTEL_METRIC_EXPORT_INTERVAL
//       .timeout = std::chrono::seconds(30),    // OTEL_METRIC_EXPORT_TIMEOUT
//   });
//   ...
//   reader.shutdown(std::chrono::seconds(5));   // a last export, then the exporter shuts down
//
// Every export has a deadline (now + timeout). force_flush() and shutdown() return by their
// deadline even when the collector never answers: shutdown aborts the running export and, should
// an exporter ignore that, leaves the worker behind rather than blocking. The reader counts its
// exports and failures (stats()) and publishes them on the provider (meter "lumen") as the
// observable counters lumen.metric_export.count and lumen.metric_export.failures and the gauge
// lumen.metric_export.duration (seconds, the last export).
// Thread-safety: all methods may be called from any thread. The provider must outlive the reader.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "lumen/metrics/meter.hpp"
#include "lumen/metrics/metric_exporter.hpp"

namespace lumen {
class Clock;
}  // namespace lumen

namespace lumen::detail {
class BackgroundWorker;
}  // namespace lumen::detail

namespace lumen::metrics {

struct PeriodicMetricReaderOptions {
  std::chrono::milliseconds interval = std::chrono::seconds(60);
  std::chrono::milliseconds timeout = std::chrono::seconds(30);
  // Register lumen.metric_export.count / .failures / .duration on the provider.
  bool self_metrics = true;
  // What the interval, the export deadlines and force_flush's and shutdown's timeouts are measured
  // on; nullptr: the machine's clock. Tests pass a ManualClock (lumen/core/clock.hpp) and advance
  // it instead of waiting; it must outlive the reader.
  const Clock* clock = nullptr;
};

struct PeriodicMetricReaderStats {
  std::uint64_t exports = 0;   // export_metrics calls
  std::uint64_t failures = 0;  // of which failed (or were abandoned at shutdown)
  std::uint64_t last_export_duration_ns = 0;
};

class PeriodicMetricReader {
 public:
  // Throws lumen::Error if interval or timeout is not positive or the exporter is null.
  PeriodicMetricReader(MeterProvider& provider, std::shared_ptr<MetricExporter> exporter,
                       PeriodicMetricReaderOptions options = {});
  ~PeriodicMetricReader();  // shutdown with a 5 s deadline if not done yet
  PeriodicMetricReader(const PeriodicMetricReader&) = delete;
  PeriodicMetricReader& operator=(const PeriodicMetricReader&) = delete;

  // Collects and exports now; true when that export succeeded by the deadline.
  bool force_flush(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // A last collection and export, then the exporter's shutdown; returns by the deadline. True when
  // the last export succeeded. Later calls return false at once.
  bool shutdown(std::chrono::milliseconds timeout = std::chrono::seconds(5));

  [[nodiscard]] PeriodicMetricReaderStats stats() const noexcept;

 private:
  struct State;
  std::shared_ptr<State> state_;  // shared with the worker, which may outlive a timed-out shutdown
  std::unique_ptr<lumen::detail::BackgroundWorker> worker_;
  ObservableRegistration exports_metric_;
  ObservableRegistration failures_metric_;
  ObservableRegistration duration_metric_;
};

}  // namespace lumen::metrics
