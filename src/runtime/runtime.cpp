#include "lumen/runtime.hpp"

#include <algorithm>
#include <atomic>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>

#include "fanout_exporter.hpp"
#include "lumen/export/console_exporter.hpp"
#include "lumen/export/jaeger_exporter.hpp"
#include "lumen/export/otlp_http_exporter.hpp"
#include "lumen/export/otlp_log_exporter.hpp"
#include "lumen/export/otlp_metric_exporter.hpp"
#include "lumen/export/zipkin_exporter.hpp"
#include "lumen/global.hpp"
#include "lumen/metrics/process_metrics.hpp"
#include "lumen/metrics/prometheus.hpp"
#include "span_store_processor.hpp"
#include "timed_exporter.hpp"

namespace lumen {

struct Runtime::Impl {
  Config config;
  std::shared_ptr<exporters::InMemorySpanExporter> recent;
  // Before the tracer provider: its last exports, at destruction, still record their duration.
  // Shared with lumen::global, which keeps them if it handed out references into them.
  std::shared_ptr<metrics::MeterProvider> meters;
  // Owned by the provider; one of them, or neither when spans go nowhere.
  trace::BatchSpanProcessor* processor = nullptr;
  detail::SpanStoreProcessor* store_processor = nullptr;
  std::shared_ptr<trace::TracerProvider> provider;
  // Readers after the meter provider they collect: they are destroyed (and shut down) first.
  std::shared_ptr<log::BatchLogSink>
      log_export;  // OTEL_LOGS_EXPORTER=otlp; one of the logger's sinks
  std::optional<log::Logger> logger;
  std::optional<metrics::ProcessMetrics> process_metrics;
  // lumen's own health, observed at each collection; declared after what it reads.
  std::vector<metrics::ObservableRegistration> health;
  std::vector<std::unique_ptr<metrics::PeriodicMetricReader>> readers;
  std::unique_ptr<admin::AdminServer> admin;
  // Declared last: the global stops handing this Runtime out before anything stops.
  std::optional<global::Installation> installation;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    if (!installation) return;  // the constructor threw: nothing was handed out
    // The global keeps the providers for references it handed out, so the provider's destructor
    // (which would shut it down) may never run; copies from global::logger() may outlive the
    // Runtime and would keep the writer running. Both are stopped here, by the one deadline.
    (void)installation->uninstall();
    (void)stop(config.shutdown_timeout);
  }

  bool stop(std::chrono::milliseconds timeout);

  std::atomic<bool> stopped{false};
};

namespace {

// Each step gets what is left of one overall deadline.
std::chrono::milliseconds left_until(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return std::max(left, std::chrono::milliseconds(0));
}

// Runs `task` on a thread of its own when one can be started, else on the caller's.
std::thread side_by_side(const std::function<void()>& task) {
  try {
    return std::thread(task);
  } catch (const std::system_error&) {
    task();
    return {};
  }
}

}  // namespace

// Traces, metrics and logs stop side by side, each within the one deadline: a collector that hangs
// for one signal cannot use up the time of the others (one after the other, a hung trace
// collector left the log queue no time at all).
bool Runtime::Impl::stop(std::chrono::milliseconds timeout) {
  if (stopped.exchange(true)) return true;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (admin) admin->stop();
  bool traces_ok = true;
  bool metrics_ok = true;
  std::thread trace_stop =
      side_by_side([&] { traces_ok = provider->shutdown(left_until(deadline)); });
  std::thread metric_stop = side_by_side([&] {
    for (auto& reader : readers) metrics_ok = reader->shutdown(left_until(deadline)) && metrics_ok;
  });
  // The logger hands its last records to the export sink, which then sends them.
  bool logs_ok = logger->shutdown(left_until(deadline));
  if (log_export) logs_ok = log_export->shutdown(left_until(deadline)) && logs_ok;
  if (trace_stop.joinable()) trace_stop.join();
  if (metric_stop.joinable()) metric_stop.join();
  return traces_ok && metrics_ok && logs_ok;
}

namespace {

// OTEL_METRICS_EXPORTER=console: each collection as Prometheus text on stdout.
class ConsoleMetricExporter final : public metrics::MetricExporter {
 public:
  metrics::MetricExportResult export_metrics(const metrics::MetricsSnapshot& snapshot,
                                             Deadline) noexcept override {
    try {
      const std::string text =
          metrics::serialize(snapshot, metrics::ExpositionFormat::kPrometheusText);
      static std::mutex mutex;  // whole collections, never interleaved
      std::lock_guard lock(mutex);
      std::cout << text << std::flush;
      return metrics::MetricExportResult::kSuccess;
    } catch (...) {
      return metrics::MetricExportResult::kFailure;
    }
  }
};

std::shared_ptr<metrics::MetricExporter> make_metric_exporter(MetricExporterKind kind,
                                                              const MetricsConfig& config) {
  switch (kind) {
    case MetricExporterKind::kOtlp:
      return std::make_shared<exporters::OtlpHttpMetricExporter>(config.otlp);
    case MetricExporterKind::kConsole:
      return std::make_shared<ConsoleMetricExporter>();
    case MetricExporterKind::kPrometheus:
      return nullptr;  // pulled, not pushed
  }
  return nullptr;
}

std::shared_ptr<trace::SpanExporter> make_exporter(
    TraceExporterKind kind, const TraceConfig& config, std::size_t store_shards,
    std::shared_ptr<exporters::InMemorySpanExporter>& recent) {
  switch (kind) {
    case TraceExporterKind::kOtlp:
      return std::make_shared<exporters::OtlpHttpExporter>(config.otlp);
    case TraceExporterKind::kJaeger:
      return std::make_shared<exporters::JaegerExporter>(config.jaeger);
    case TraceExporterKind::kZipkin:
      return std::make_shared<exporters::ZipkinExporter>(config.zipkin);
    case TraceExporterKind::kConsole:
      return std::make_shared<exporters::ConsoleSpanExporter>(std::cout);
    case TraceExporterKind::kEmbedded:
      recent =
          std::make_shared<exporters::InMemorySpanExporter>(config.embedded_capacity, store_shards);
      return recent;
  }
  return nullptr;
}

trace::BatchSpanProcessorStats span_stats_of(const Runtime::Impl& rt) {
  if (rt.processor != nullptr) return rt.processor->stats();
  if (rt.store_processor != nullptr) return rt.store_processor->stats();
  return {};
}

// Counts that say whether the telemetry itself is healthy: what was dropped or failed on the way
// out. A dashboard that shows no errors is only believable next to these.
void register_health_metrics(Runtime::Impl& rt) {
  metrics::Meter& meter = rt.meters->meter("lumen");
  auto counter = [&](std::string_view name, std::string_view description, auto read) {
    rt.health.push_back(meter.create_observable_counter(
        name, [read](metrics::ObserverResult& r) { r.observe(static_cast<std::int64_t>(read())); },
        {.description = std::string(description)}));
  };
  if (rt.processor != nullptr || rt.store_processor != nullptr) {
    const auto spans = [&rt] { return span_stats_of(rt); };
    counter("lumen.spans.exported", "Spans accepted by the exporters",
            [spans] { return spans().exported; });
    counter("lumen.spans.dropped", "Spans dropped: queue full, or left at a timed-out shutdown",
            [spans] { return spans().dropped; });
    counter("lumen.spans.export_failed", "Spans in batches the exporter rejected",
            [spans] { return spans().export_failed; });
  }
  log::Logger* logger = &*rt.logger;
  counter("lumen.log.records.written", "Log records handed to the sinks",
          [logger] { return logger->stats().written; });
  counter("lumen.log.records.dropped", "Log records dropped by the overflow policy",
          [logger] { return logger->stats().dropped; });
  counter("lumen.log.records.suppressed", "Log records suppressed by rate limiting",
          [logger] { return logger->stats().suppressed; });
  counter("lumen.log.sink.errors", "Failed writes or flushes of log sinks",
          [logger] { return logger->stats().sink_errors; });
  counter("lumen.log.records.lost", "Log records a sink failed to write (a full disk, for one)",
          [logger] { return logger->stats().lost; });
  if (log::BatchLogSink* exported = rt.log_export.get()) {
    counter("lumen.log.records.exported", "Log records accepted by the OTLP exporter",
            [exported] { return exported->stats().exported; });
    counter("lumen.log.records.export_dropped",
            "Log records dropped before export: queue full, or left at a timed-out shutdown",
            [exported] { return exported->stats().dropped; });
    counter("lumen.log.records.export_failed", "Log records in batches the exporter rejected",
            [exported] { return exported->stats().export_failed; });
  }
}

}  // namespace

Runtime::Runtime(Config config) : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  const TraceConfig& t = impl_->config.trace;
  // When spans go to the embedded store alone, they are kept in parts per thread as they end
  // (SpanStoreProcessor), with no queue in between; otherwise the store is one more exporter behind
  // the batch processor, and keeps them in the order they come.
  const bool store_alone =
      t.exporters == std::vector{TraceExporterKind::kEmbedded} && t.custom_exporters.empty();
  const std::size_t store_shards =
      store_alone ? detail::SpanStoreProcessor::parts_for(t.embedded_capacity) : 1;
  std::vector<std::shared_ptr<trace::SpanExporter>> exporters;
  if (t.enabled) {
    for (TraceExporterKind kind : t.exporters)
      exporters.push_back(make_exporter(kind, t, store_shards, impl_->recent));
    exporters.insert(exporters.end(), t.custom_exporters.begin(), t.custom_exporters.end());
  }
  // OTEL_SDK_DISABLED: the application's instruments are no-ops and /metrics serves nothing.
  impl_->meters = std::make_shared<metrics::MeterProvider>(
      metrics::MeterProviderOptions{.resource = impl_->config.resource,
                                    .exemplar_filter = impl_->config.metrics.exemplar_filter,
                                    .enabled = impl_->config.metrics.enabled});
  std::unique_ptr<trace::SpanProcessor> processor;
  if (store_alone && impl_->recent != nullptr) {
    auto store = std::make_unique<detail::SpanStoreProcessor>(impl_->recent);
    impl_->store_processor = store.get();
    processor = std::move(store);
  } else if (!exporters.empty()) {
    std::shared_ptr<trace::SpanExporter> exporter =
        exporters.size() == 1 ? exporters.front()
                              : std::make_shared<detail::FanoutExporter>(std::move(exporters));
    if (impl_->config.metrics.enabled) {
      auto duration = impl_->meters->meter("lumen").create_histogram(
          "lumen.span_export.duration",
          {.description = "Time to export one batch of spans, by result", .unit = "s"});
      // The exporter co-owns the meter provider: a batch worker left behind by a timed-out
      // shutdown may still record an export's duration after the Runtime is gone.
      exporter =
          std::make_shared<detail::TimedExporter>(std::move(exporter), duration, impl_->meters);
    }
    auto batch = std::make_unique<trace::BatchSpanProcessor>(std::move(exporter), t.batch);
    impl_->processor = batch.get();
    processor = std::move(batch);
  }
  impl_->provider = std::make_shared<trace::TracerProvider>(trace::TracerProviderOptions{
      .resource = impl_->config.resource,
      .sampler = !t.enabled         ? trace::Sampler::always_off()
                 : t.custom_sampler ? t.custom_sampler
                                    : trace::Sampler::from_name(t.sampler, t.sampler_arg),
      .processor = std::move(processor),
      .limits = t.limits,
  });

  const LogConfig& l = impl_->config.log;
  const auto has = [&l](LogExporterKind kind) {
    return std::find(l.exporters.begin(), l.exporters.end(), kind) != l.exporters.end();
  };
  std::vector<std::shared_ptr<log::Sink>> sinks =
      log::default_sinks(l.options, l.files, has(LogExporterKind::kConsole));
  if (has(LogExporterKind::kOtlp)) {
    log::BatchLogSinkOptions batch = l.batch;
    batch.resource = impl_->config.resource;
    impl_->log_export = std::make_shared<log::BatchLogSink>(
        std::make_shared<exporters::OtlpHttpLogExporter>(l.otlp), std::move(batch));
    sinks.push_back(impl_->log_export);
  }
  impl_->logger.emplace(l.options, std::move(sinks));
  const MetricsConfig& m = impl_->config.metrics;
  if (m.enabled) {
    impl_->process_metrics.emplace(impl_->meters->meter("lumen"));
    register_health_metrics(*impl_);
    for (MetricExporterKind kind : m.exporters) {
      if (auto exporter = make_metric_exporter(kind, m)) {
        impl_->readers.push_back(std::make_unique<metrics::PeriodicMetricReader>(
            *impl_->meters, std::move(exporter),
            metrics::PeriodicMetricReaderOptions{.interval = m.export_interval,
                                                 .timeout = m.export_timeout}));
      }
    }
  }
  const AdminConfig& a = impl_->config.admin;
  if (a.enabled) {
    impl_->admin = std::make_unique<admin::AdminServer>(admin::AdminServerOptions{
        .host = a.host, .port = a.port, .meter_provider = impl_->meters.get()});
    impl_->admin->route("/metrics", admin::metrics_handler(*impl_->meters));
    impl_->admin->start();
  }
  // Last: the global hands out nothing that is not fully built.
  impl_->installation.emplace(impl_->provider, impl_->meters, *impl_->logger,
                              impl_->config.propagator);
}

Runtime::Runtime(Runtime&&) noexcept = default;
Runtime& Runtime::operator=(Runtime&&) noexcept = default;
Runtime::~Runtime() = default;  // Impl stops everything by config.shutdown_timeout

trace::Tracer& Runtime::tracer(std::string_view name, std::string_view version) {
  if (name.empty()) return impl_->provider->tracer(impl_->config.resource.service_name(), version);
  return impl_->provider->tracer(name, version);
}

trace::TracerProvider& Runtime::tracer_provider() {
  return *impl_->provider;
}

const Config& Runtime::config() const {
  return impl_->config;
}

const propagation::Propagator& Runtime::propagator() const {
  return impl_->config.propagator;
}

metrics::MeterProvider& Runtime::meter_provider() {
  return *impl_->meters;
}

log::Logger& Runtime::logger() {
  return *impl_->logger;
}

admin::AdminServer* Runtime::admin() {
  return impl_->admin.get();
}

std::shared_ptr<exporters::InMemorySpanExporter> Runtime::recent_spans() const {
  return impl_->recent;
}

log::BatchLogSinkStats Runtime::log_export_stats() const {
  return impl_->log_export ? impl_->log_export->stats() : log::BatchLogSinkStats{};
}

trace::BatchSpanProcessorStats Runtime::span_stats() const {
  return span_stats_of(*impl_);
}

metrics::Meter& Runtime::meter(std::string_view name) {
  return impl_->meters->meter(name.empty() ? impl_->config.resource.service_name()
                                           : std::string(name));
}

metrics::PeriodicMetricReaderStats Runtime::metric_export_stats() const {
  metrics::PeriodicMetricReaderStats total;
  for (const auto& reader : impl_->readers) {
    const auto s = reader->stats();
    total.exports += s.exports;
    total.failures += s.failures;
    total.last_export_duration_ns =
        std::max(total.last_export_duration_ns, s.last_export_duration_ns);
  }
  return total;
}

bool Runtime::flush(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool ok = impl_->provider->force_flush(timeout);
  for (auto& reader : impl_->readers) ok = reader->force_flush(left_until(deadline)) && ok;
  ok = impl_->logger->flush(left_until(deadline)) && ok;
  if (impl_->log_export) ok = impl_->log_export->force_flush(left_until(deadline)) && ok;
  return ok;
}

bool Runtime::shutdown(std::chrono::milliseconds timeout) {
  return impl_->stop(timeout);
}

}  // namespace lumen
