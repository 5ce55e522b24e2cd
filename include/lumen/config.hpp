// Config: everything lumen::init needs, read in one place from the standard environment variables
// (OTEL_*, plus the original design's APP_VERSION, NODE_ENV/APP_ENV and JAEGER_ENDPOINT).
// An OTEL_* value that cannot be used is warned about once on stderr (naming the variable, the
// value and the default used instead) and the default applies, as the OpenTelemetry SDK
// specification asks; OTEL_LOG_LEVEL (none, error, warn, info, debug) silences those warnings.
// A malformed endpoint URL and bad values of lumen's own variables (METRICS_PORT, LOG_*, ...)
// still throw lumen::Error naming the variable, the value and what is expected.
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
#include "lumen/export/jaeger_exporter.hpp"
#include "lumen/export/otlp_http_exporter.hpp"
#include "lumen/export/otlp_log_exporter.hpp"
#include "lumen/export/otlp_metric_exporter.hpp"
#include "lumen/export/zipkin_exporter.hpp"
#include "lumen/log/batch_log_sink.hpp"
#include "lumen/log/logger.hpp"
#include "lumen/metrics/meter.hpp"
#include "lumen/trace/batch_span_processor.hpp"
#include "lumen/trace/propagator.hpp"
#include "lumen/trace/sampler.hpp"
#include "lumen/trace/span_limits.hpp"

namespace lumen {

// Where finished spans go (OTEL_TRACES_EXPORTER, a comma-separated list).
enum class TraceExporterKind {
  kEmbedded,  // "memory": keep recent spans in process (the default when nothing is configured)
  kOtlp,      // "otlp": OTLP/HTTP to a collector or Jaeger >= 1.35
  kJaeger,    // "jaeger": Jaeger Thrift over HTTP (JAEGER_ENDPOINT)
  kZipkin,    // "zipkin": Zipkin v2 JSON over HTTP (OTEL_EXPORTER_ZIPKIN_ENDPOINT)
  kConsole,   // "console": one line per span on stdout
};

struct TraceConfig {
  // false when OTEL_SDK_DISABLED=true: no span is recorded or exported (contexts still propagate).
  bool enabled = true;
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
  exporters::ZipkinExporterOptions zipkin;
  std::size_t embedded_capacity = 2048;  // recent spans kept by the embedded store
};

// The admin HTTP endpoint: /metrics, /healthz (and later /report, /dashboard).
struct AdminConfig {
  // Served when METRICS_PORT is set, or when the application turns it on (the reference service
  // and `quickstart --serve` do). Off by default so that a library user's process opens no port
  // it did not ask for.
  bool enabled = false;
  // OTEL_EXPORTER_PROMETHEUS_HOST, else METRICS_HOST (the standard name wins when both are set).
  std::string host = "127.0.0.1";
  // OTEL_EXPORTER_PROMETHEUS_PORT, else METRICS_PORT; 0 picks a free port.
  std::uint16_t port = 9464;
};

// Where log records go besides the production files (OTEL_LOGS_EXPORTER, a comma-separated list).
enum class LogExporterKind {
  kConsole,  // "console": the console sink (JSON lines, or the human format on a terminal)
  kOtlp,     // "otlp": batched OTLP to a collector (/v1/logs, or gRPC)
};

// The process's structured logger (LOG_LEVEL, LOG_DIR, LOG_MAX_BYTES, LOG_MAX_FILES) and its
// exporters. Console and files are the application's own log, so OTEL_SDK_DISABLED leaves them on
// (it turns off the SDK's signals: spans, metrics, and log records exported over OTLP).
struct LogConfig {
  log::LoggerOptions options;
  log::LogFiles files;
  // Unset: console, plus otlp when an OTLP endpoint is configured (the rule OTEL_TRACES_EXPORTER
  // follows), so that a process with no collector never posts to localhost:4318 and keeps its
  // console output. "none": neither (the production files stay).
  std::vector<LogExporterKind> exporters{LogExporterKind::kConsole};
  log::BatchLogSinkOptions batch;  // OTEL_BLRP_*; the Runtime sets its resource
  exporters::OtlpHttpLogExporterOptions otlp;
};

// Where metrics go (OTEL_METRICS_EXPORTER, a comma-separated list).
enum class MetricExporterKind {
  kPrometheus,  // "prometheus": pulled from the admin endpoint's /metrics (the default)
  kOtlp,        // "otlp": pushed by a periodic reader over OTLP/HTTP
  kConsole,     // "console": a periodic reader prints Prometheus text to stdout
};

struct MetricsConfig {
  // false when OTEL_SDK_DISABLED=true: the application's instruments record nothing, no reader
  // runs, and the admin endpoint's /metrics serves no metric (only target_info).
  bool enabled = true;
  // Unset: prometheus, plus otlp when an OTLP endpoint is configured. "none": empty.
  std::vector<MetricExporterKind> exporters{MetricExporterKind::kPrometheus};
  std::chrono::milliseconds export_interval =
      std::chrono::seconds(60);  // OTEL_METRIC_EXPORT_INTERVAL
  std::chrono::milliseconds export_timeout =
      std::chrono::seconds(30);  // OTEL_METRIC_EXPORT_TIMEOUT
  exporters::OtlpHttpMetricExporterOptions otlp;
  // OTEL_METRICS_EXEMPLAR_FILTER: trace_based (exemplars from measurements in sampled spans) or
  // always_off; always_on is not supported (warned, trace_based used).
  metrics::ExemplarFilter exemplar_filter = metrics::ExemplarFilter::kTraceBased;
};

struct Config {
  Resource resource;
  TraceConfig trace;
  AdminConfig admin;
  LogConfig log;
  MetricsConfig metrics;
  // The header formats read and written (OTEL_PROPAGATORS; default tracecontext,baggage). Unknown
  // names are skipped with a warning on stderr.
  propagation::Propagator propagator;
  // The one deadline of the Runtime's destructor: traces, metrics and logs are flushed and stopped
  // side by side within it, whatever the collectors do.
  std::chrono::milliseconds shutdown_timeout = std::chrono::seconds(5);

  // `service_name`: the program's own name for the resource (and the logger), used when neither
  // OTEL_SERVICE_NAME nor OTEL_RESOURCE_ATTRIBUTES names one; empty: "unknown_service:<program>".
  static Config from_env(const Environment& env = Environment::process(),
                         std::string_view service_name = {});
};

}  // namespace lumen
