// ZipkinExporter: sends spans to a Zipkin server (or anything that accepts Zipkin's v2 API:
// Jaeger's Zipkin port, the collector's zipkin receiver) as a JSON list of v2 spans, POSTed to
// /api/v2/spans, mapped as the OpenTelemetry specification's Zipkin transformation says (kind,
// localEndpoint.serviceName from service.name, remoteEndpoint for CLIENT and PRODUCER spans,
// attributes and status as tags, events as annotations, microsecond timestamps).
//
// Failed requests are retried on 429, 502, 503, 504 and connection errors, with backoff, within
// the export deadline; a batch that still fails is dropped, counted in stats() and reported on
// stderr in one line (at most one per report_interval; the others are counted into it).
// Thread-safety: export_spans is called by one thread at a time (the processor's); stats() and
// shutdown() may be called from any thread.
//
//   auto zipkin = std::make_shared<lumen::exporters::ZipkinExporter>(
//       lumen::exporters::ZipkinExporterOptions{.endpoint = "http://zipkin:9411/api/v2/spans"});
//   lumen::trace::TracerProvider provider({
//       .resource = lumen::Resource::from_environment(lumen::Environment::process()),
//       .processor = std::make_unique<lumen::trace::BatchSpanProcessor>(zipkin),
//   });
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <memory>
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

// lumen::Config fills these from OTEL_EXPORTER_ZIPKIN_ENDPOINT and OTEL_EXPORTER_ZIPKIN_TIMEOUT.
struct ZipkinExporterOptions {
  std::string endpoint = "http://localhost:9411/api/v2/spans";
  // The longest one export call takes, retries included (the processor's deadline may be shorter).
  std::chrono::milliseconds timeout = std::chrono::seconds(10);
  std::vector<std::pair<std::string, std::string>> headers;  // extra request headers
  std::chrono::milliseconds initial_backoff = std::chrono::milliseconds(500);
  int max_attempts = 5;
  // Where failures are reported; null means stderr.
  std::ostream* diagnostics = nullptr;
  std::chrono::milliseconds report_interval = std::chrono::seconds(10);
  // What the timeout, the waits between retries and the report interval are measured on (a seam
  // for tests: a ManualClock). Must outlive the exporter.
  const Clock* clock = &SystemClock::instance();
};

using ZipkinExporterStats = HttpSpanExportStats;

class ZipkinExporter final : public trace::SpanExporter {
 public:
  // Throws lumen::Error when the endpoint is not an http:// or https:// URL.
  explicit ZipkinExporter(ZipkinExporterOptions options = {});
  ~ZipkinExporter() override;
  ZipkinExporter(const ZipkinExporter&) = delete;
  ZipkinExporter& operator=(const ZipkinExporter&) = delete;

  [[nodiscard]] trace::ExportResult export_spans(trace::SpanBatch batch,
                                                 Deadline deadline) noexcept override;
  // Later exports fail at once; a running one is aborted.
  void shutdown(Deadline deadline) noexcept override;

  [[nodiscard]] ZipkinExporterStats stats() const noexcept;
  [[nodiscard]] const std::string& endpoint() const noexcept { return options_.endpoint; }

 private:
  const ZipkinExporterOptions options_;
  std::unique_ptr<detail::HttpSpanChannel> channel_;
};

}  // namespace lumen::exporters
