#include "lumen/runtime.hpp"

#include <iostream>
#include <optional>

#include "fanout_exporter.hpp"
#include "lumen/export/console_exporter.hpp"
#include "lumen/export/jaeger_exporter.hpp"
#include "lumen/export/otlp_http_exporter.hpp"

namespace lumen {

struct Runtime::Impl {
  Config config;
  std::shared_ptr<exporters::InMemorySpanExporter> recent;
  trace::BatchSpanProcessor* processor = nullptr;  // owned by the provider
  std::unique_ptr<trace::TracerProvider> provider;
  std::unique_ptr<metrics::MeterProvider> meters;
  std::optional<log::Logger> logger;
  // lumen's own health, observed at each collection; declared after what it reads.
  std::vector<metrics::ObservableRegistration> health;
  std::unique_ptr<admin::AdminServer> admin;  // declared last: stops first
};

namespace {

std::shared_ptr<trace::SpanExporter> make_exporter(
    TraceExporterKind kind, const TraceConfig& config,
    std::shared_ptr<exporters::InMemorySpanExporter>& recent) {
  switch (kind) {
    case TraceExporterKind::kOtlp:
      return std::make_shared<exporters::OtlpHttpExporter>(config.otlp);
    case TraceExporterKind::kJaeger:
      return std::make_shared<exporters::JaegerExporter>(config.jaeger);
    case TraceExporterKind::kConsole:
      return std::make_shared<exporters::ConsoleSpanExporter>(std::cout);
    case TraceExporterKind::kEmbedded:
      recent = std::make_shared<exporters::InMemorySpanExporter>(config.embedded_capacity);
      return recent;
  }
  return nullptr;
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
  if (trace::BatchSpanProcessor* spans = rt.processor) {
    counter("lumen.spans.exported", "Spans accepted by the exporters",
            [spans] { return spans->stats().exported; });
    counter("lumen.spans.dropped", "Spans dropped: queue full, or left at a timed-out shutdown",
            [spans] { return spans->stats().dropped; });
    counter("lumen.spans.export.failed", "Spans in batches the exporter rejected",
            [spans] { return spans->stats().export_failed; });
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
}

}  // namespace

Runtime::Runtime(Config config) : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  const TraceConfig& t = impl_->config.trace;
  std::vector<std::shared_ptr<trace::SpanExporter>> exporters;
  if (t.enabled) {
    for (TraceExporterKind kind : t.exporters) exporters.push_back(make_exporter(kind, t, impl_->recent));
  }
  std::unique_ptr<trace::SpanProcessor> processor;
  if (!exporters.empty()) {
    std::shared_ptr<trace::SpanExporter> exporter =
        exporters.size() == 1 ? exporters.front()
                              : std::make_shared<detail::FanoutExporter>(std::move(exporters));
    auto batch = std::make_unique<trace::BatchSpanProcessor>(std::move(exporter), t.batch);
    impl_->processor = batch.get();
    processor = std::move(batch);
  }
  impl_->provider = std::make_unique<trace::TracerProvider>(trace::TracerProviderOptions{
      .resource = impl_->config.resource,
      .sampler = t.enabled ? trace::Sampler::from_name(t.sampler, t.sampler_arg)
                           : trace::Sampler::always_off(),
      .processor = std::move(processor),
      .limits = t.limits,
  });
  impl_->meters = std::make_unique<metrics::MeterProvider>(
      metrics::MeterProviderOptions{.resource = impl_->config.resource});
  const LogConfig& l = impl_->config.log;
  impl_->logger.emplace(l.options, log::default_sinks(l.options, l.files));
  register_health_metrics(*impl_);
  const AdminConfig& a = impl_->config.admin;
  if (a.enabled) {
    impl_->admin = std::make_unique<admin::AdminServer>(
        admin::AdminServerOptions{.host = a.host, .port = a.port});
    impl_->admin->route("/metrics", admin::metrics_handler(*impl_->meters));
    impl_->admin->start();
  }
}

Runtime::Runtime(Runtime&&) noexcept = default;
Runtime& Runtime::operator=(Runtime&&) noexcept = default;
Runtime::~Runtime() = default;  // the provider flushes and shuts down with its deadline

trace::Tracer& Runtime::tracer(std::string_view name, std::string_view version) {
  return impl_->provider->tracer(name, version);
}

trace::TracerProvider& Runtime::tracer_provider() { return *impl_->provider; }

const Config& Runtime::config() const { return impl_->config; }

metrics::MeterProvider& Runtime::meter_provider() { return *impl_->meters; }

log::Logger& Runtime::logger() { return *impl_->logger; }

admin::AdminServer* Runtime::admin() { return impl_->admin.get(); }

std::shared_ptr<exporters::InMemorySpanExporter> Runtime::recent_spans() const {
  return impl_->recent;
}

trace::BatchSpanProcessorStats Runtime::span_stats() const {
  return impl_->processor ? impl_->processor->stats() : trace::BatchSpanProcessorStats{};
}

bool Runtime::flush(std::chrono::milliseconds timeout) {
  const bool spans = impl_->provider->force_flush(timeout);
  return impl_->logger->flush(timeout) && spans;
}

bool Runtime::shutdown(std::chrono::milliseconds timeout) {
  if (impl_->admin) impl_->admin->stop();
  const bool spans = impl_->provider->shutdown(timeout);
  return impl_->logger->shutdown(timeout) && spans;
}

}  // namespace lumen
