// JaegerExporter: sends spans to a Jaeger collector's Thrift-over-HTTP endpoint (POST /api/traces,
// Content-Type application/x-thrift, body a Thrift binary jaeger.Batch), for Jaeger deployments
// that predate native OTLP ingestion. Spans are mapped as OpenTelemetry specifies for Jaeger:
// attributes become typed tags, events become logs, links become FOLLOWS_FROM references, and the
// resource becomes the Process (serviceName from service.name).
//
// Failed requests are retried on 429, 502, 503, 504 and connection errors, with backoff, within
// the export deadline; a batch that still fails is dropped, counted in stats() and reported on
// stderr in one line (at most one line per report_interval; the others are counted into it).
// Thread-safety: export_spans is called by one thread at a time (the processor's); stats() and
// shutdown() may be called from any thread.
//
//   auto jaeger = std::make_shared<lumen::exporters::JaegerExporter>(
//       lumen::exporters::JaegerExporterOptions{.endpoint = "http://jaeger:14268/api/traces"});
//   lumen::trace::TracerProvider provider({
//       .resource = lumen::Resource::from_environment(lumen::Environment::process()),
//       .processor = std::make_unique<lumen::trace::BatchSpanProcessor>(jaeger),
//   });
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "lumen/core/clock.hpp"
#include "lumen/export/http_span_export_stats.hpp"
#include "lumen/trace/span_exporter.hpp"

namespace lumen::exporters {

namespace detail {
class HttpSpanChannel;
}  // namespace detail

// lumen::Config fills these from OTEL_EXPORTER_JAEGER_ENDPOINT (or JAEGER_ENDPOINT) and
// OTEL_EXPORTER_JAEGER_TIMEOUT.
struct JaegerExporterOptions {
  std::string endpoint = "http://localhost:14268/api/traces";
  // The longest one export call takes, retries included (the processor's deadline may be shorter).
  std::chrono::milliseconds timeout = std::chrono::seconds(10);
  std::vector<std::pair<std::string, std::string>> headers;  // extra request headers
  std::chrono::milliseconds initial_backoff = std::chrono::milliseconds(500);
  int max_attempts = 5;
  // Where failures are reported; null means std::cerr.
  std::ostream* diagnostics = nullptr;
  std::chrono::milliseconds report_interval = std::chrono::seconds(10);
  // What the timeout, the waits between retries and the report interval are measured on (a seam
  // for tests: a ManualClock). Must outlive the exporter.
  const Clock* clock = &SystemClock::instance();
};

using JaegerExporterStats = HttpSpanExportStats;

class JaegerExporter final : public trace::SpanExporter {
 public:
  // Throws lumen::Error when the endpoint is not an http:// or https:// URL.
  explicit JaegerExporter(JaegerExporterOptions options = {});
  ~JaegerExporter() override;
  JaegerExporter(const JaegerExporter&) = delete;
  JaegerExporter& operator=(const JaegerExporter&) = delete;

  [[nodiscard]] trace::ExportResult export_spans(trace::SpanBatch batch,
                                                 Deadline deadline) noexcept override;
  // Later exports fail at once; a running one is aborted.
  void shutdown(Deadline deadline) noexcept override;

  [[nodiscard]] JaegerExporterStats stats() const noexcept;
  [[nodiscard]] const std::string& endpoint() const noexcept { return options_.endpoint; }

 private:
  const JaegerExporterOptions options_;
  std::unique_ptr<detail::HttpSpanChannel> channel_;
};

}  // namespace lumen::exporters
