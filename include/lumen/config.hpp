// Config: everything lumen::init needs, read in one place from the standard environment variables
// (OTEL_*, plus the original design's APP_VERSION, NODE_ENV/APP_ENV and JAEGER_ENDPOINT).
// Bad values throw lumen::Error naming the variable, the value and what is expected.
//
//   lumen::Config config = lumen::Config::from_env();          // the process environment
//   config.trace.batch.schedule_delay = std::chrono::seconds(1);  // adjust in code if needed
//   lumen::Runtime rt(std::move(config));
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lumen/core/environment.hpp"
#include "lumen/core/resource.hpp"
#include "lumen/log/logger.hpp"
#include "lumen/export/jaeger_exporter.hpp"
#include "lumen/export/otlp_http_exporter.hpp"
#include "lumen/export/otlp_metric_exporter.hpp"
#include "lumen/trace/batch_span_processor.hpp"
#include "lumen/trace/sampler.hpp"
#include "lumen/trace/span_limits.hpp"

namespace lumen {

// Where finished spans go (OTEL_TRACES_EXPORTER, a comma-separated list).
enum class TraceExporterKind {
  kEmbedded,  // "memory": keep recent spans in process (the default when nothing is configured)
  kOtlp,      // "otlp": OTLP/HTTP to a collector or Jaeger >= 1.35
  kJaeger,    // "jaeger": Jaeger Thrift over HTTP (JAEGER_ENDPOINT)
  kConsole,   // "console": one line per span on stdout
};

struct TraceConfig {
  bool enabled = true;  // false when OTEL_SDK_DISABLED=true
  std::vector<TraceExporterKind> exporters{TraceExporterKind::kEmbedded};
  std::string sampler = "parentbased_always_on";
  std::string sampler_arg;
  // When set, used instead of sampler/sampler_arg: an application's own sampler (the reference
  // gateway's, which can turn tracing off and on at run time for its overhead measurement).
  std::shared_ptr<const trace::Sampler> custom_sampler;
  // An application's own exporters, beside those of `exporters` (OTEL_TRACES_EXPORTER).
  std::vector<std::shared_ptr<trace::SpanExporter>> custom_exporters;
  trace::BatchSpanProcessorOptions batch;
  trace::SpanLimits limits;
  exporters::OtlpHttpExporterOptions otlp;
  exporters::JaegerExporterOptions jaeger;
  std::size_t embedded_capacity = 2048;  // recent spans kept by the embedded store
};

// The admin HTTP endpoint: /metrics, /healthz (and later /report, /dashboard).
struct AdminConfig {
  // Served when METRICS_PORT is set, or when the application turns it on (the reference service
  // and `quickstart --serve` do). Off by default so that a library user's process opens no port
  // it did not ask for.
  bool enabled = false;
  std::string host = "127.0.0.1";  // METRICS_HOST
  std::uint16_t port = 9464;       // METRICS_PORT; 0 picks a free port
};

// The process's structured logger (LOG_LEVEL, LOG_DIR, LOG_MAX_BYTES, LOG_MAX_FILES).
struct LogConfig {
  log::LoggerOptions options;
  log::LogFiles files;
};

// Where metrics go (OTEL_METRICS_EXPORTER, a comma-separated list).
enum class MetricExporterKind {
  kPrometheus,  // "prometheus": pulled from the admin endpoint's /metrics (the default)
  kOtlp,        // "otlp": pushed by a periodic reader over OTLP/HTTP
  kConsole,     // "console": a periodic reader prints Prometheus text to stdout
};

struct MetricsConfig {
  bool enabled = true;  // false when OTEL_SDK_DISABLED=true
  // Unset: prometheus, plus otlp when an OTLP endpoint is configured. "none": empty.
  std::vector<MetricExporterKind> exporters{MetricExporterKind::kPrometheus};
  std::chrono::milliseconds export_interval = std::chrono::seconds(60);  // OTEL_METRIC_EXPORT_INTERVAL
  std::chrono::milliseconds export_timeout = std::chrono::seconds(30);   // OTEL_METRIC_EXPORT_TIMEOUT
  exporters::OtlpHttpMetricExporterOptions otlp;
};

struct Config {
  Resource resource;
  TraceConfig trace;
  AdminConfig admin;
  LogConfig log;
  MetricsConfig metrics;
  // The one deadline of the Runtime's destructor: traces, metrics and logs are flushed and stopped
  // side by side within it, whatever the collectors do.
  std::chrono::milliseconds shutdown_timeout = std::chrono::seconds(5);

  // `service_name`: the program's own name for the resource (and the logger), used when neither
  // OTEL_SERVICE_NAME nor OTEL_RESOURCE_ATTRIBUTES names one; empty: "unknown_service:<program>".
  static Config from_env(const Environment& env = Environment::process(),
                         std::string_view service_name = {});
};

}  // namespace lumen
