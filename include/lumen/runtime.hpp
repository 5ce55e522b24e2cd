// Runtime: lumen wired from a Config: the resource, the sampler, the batch span processor and the
// exporters that OTEL_TRACES_EXPORTER (or the endpoints that are set) ask for; a MeterProvider
// with a periodic reader per push exporter that OTEL_METRICS_EXPORTER asks for (otlp, console;
// "prometheus" is served by the admin endpoint from meter_provider()), the process_* metrics and
// lumen's own health counters (spans and log records dropped, export failures) unless
// OTEL_SDK_DISABLED; the structured logger with the sinks OTEL_LOGS_EXPORTER asks for (console,
// otlp: batched OTLP); and, when enabled, the admin endpoint. One per process.
// OTEL_SDK_DISABLED=true makes traces and metrics no-ops (no span recorded or exported, every
// meter a no-op, /metrics without metrics), turns off log export over OTLP, and keeps the
// logger's console and files, the application's log.
// Its destructor flushes and shuts down by one deadline (config.shutdown_timeout, 5 s): traces,
// metrics and logs stop side by side within it, so it never hangs on a dead or slow collector, and
// an exporter still waiting on one when the deadline passes never touches what the Runtime freed.
// While it lives, its tracers, meters and logger are also lumen::global's (lumen/global.hpp), for
// code that cannot be handed the Runtime.
// Thread-safety: all methods may be called concurrently.
//
//   lumen::Runtime rt = lumen::init();                     // Config::from_env()
//   lumen::trace::Tracer& tracer = rt.tracer("checkout");  // or rt.tracer(): the service's name
//   tracer.trace("checkout.payment.authorize", [&](lumen::trace::Span& span) { ... });
//   rt.flush();
#pragma once

#include <chrono>
#include <memory>
#include <string_view>

#include "lumen/admin/admin_server.hpp"
#include "lumen/config.hpp"
#include "lumen/export/memory_exporter.hpp"
#include "lumen/metrics/meter.hpp"
#include "lumen/metrics/periodic_reader.hpp"
#include "lumen/trace/batch_span_processor.hpp"
#include "lumen/trace/tracer_provider.hpp"

namespace lumen {

class Runtime {
 public:
  // Throws lumen::Error when the configuration cannot be used (e.g. a malformed endpoint URL).
  explicit Runtime(Config config);
  Runtime(Runtime&&) noexcept;
  Runtime& operator=(Runtime&&) noexcept;
  ~Runtime();

  // An empty name is the resource's service.name (the instrumentation scope of the service's own
  // code); a library names itself.
  [[nodiscard]] trace::Tracer& tracer(std::string_view name = {}, std::string_view version = {});
  [[nodiscard]] trace::TracerProvider& tracer_provider();
  [[nodiscard]] const Config& config() const;
  // The structured logger (LOG_LEVEL; console, and rotating files in production).
  [[nodiscard]] log::Logger& logger();
  // Instruments of this process, exposed on the admin endpoint's /metrics, with lumen's own
  // health counters (lumen_spans_dropped_total, lumen_log_records_dropped_total, ...).
  [[nodiscard]] metrics::MeterProvider& meter_provider();
  // The admin endpoint, already serving /metrics and /healthz, or null when config.admin.enabled
  // is false. Applications add their own routes to it (the report, the dashboard).
  [[nodiscard]] admin::AdminServer* admin();

  // The header formats to continue and pass on traces with (config.propagator, from
  // OTEL_PROPAGATORS): what a server extracts from requests and a client injects into calls.
  [[nodiscard]] const propagation::Propagator& propagator() const;

  // An empty name is the resource's service.name, as for tracer().
  [[nodiscard]] metrics::Meter& meter(std::string_view name = {});
  // Exports and failures of the periodic metric readers (otlp, console), summed.
  [[nodiscard]] metrics::PeriodicMetricReaderStats metric_export_stats() const;

  // The embedded store of recent spans, or null when the "memory" exporter is not active.
  [[nodiscard]] std::shared_ptr<exporters::InMemorySpanExporter> recent_spans() const;
  // Queue, drop and export counts of the span pipeline.
  [[nodiscard]] trace::BatchSpanProcessorStats span_stats() const;
  // The same for log records exported over OTLP (all zero unless OTEL_LOGS_EXPORTER has otlp).
  [[nodiscard]] log::BatchLogSinkStats log_export_stats() const;

  // Spans, log records and, for push metric exporters, one collection; all within the timeout.
  bool flush(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // What the destructor does, with this deadline instead of config.shutdown_timeout; once.
  bool shutdown(std::chrono::milliseconds timeout = std::chrono::seconds(5));

  struct Impl;  // public so that the implementation's helpers can name it; opaque to users

 private:
  std::unique_ptr<Impl> impl_;
};

// Builds a Runtime from the configuration (by default, from the environment).
[[nodiscard]] inline Runtime init(Config config = Config::from_env()) {
  return Runtime(std::move(config));
}

}  // namespace lumen
