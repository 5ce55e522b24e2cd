// OtlpHttpMetricExporter: sends metric collections to an OpenTelemetry collector over OTLP/HTTP
// (POST <endpoint>, normally .../v1/metrics), as protobuf (default) or JSON, optionally gzip; or
// over OTLP/gRPC (protocol kGrpc, endpoint http://host:4317: the MetricsService Export call).
// Same transport and retry rules as the span exporter: 429, 502, 503, 504 and connection errors are
// retried with exponential backoff and full jitter (honouring Retry-After) within the export
// deadline; other errors are not. Failures are counted (stats()) and reported, rate-limited, to
// stderr or a sink of your choice. Never throws from export_metrics.
// Thread-safety: export_metrics is called by one thread at a time (the reader's contract); stats()
// and shutdown() may be called from any thread; shutdown() makes a running export give up at once.
//
//   auto exporter = std::make_shared<lumen::exporters::OtlpHttpMetricExporter>(
//       lumen::exporters::OtlpHttpMetricExporterOptions{
//           .endpoint = "http://localhost:4318/v1/metrics",
//           .temporality = lumen::metrics::TemporalityPreference::kDelta,
//       });
//   lumen::metrics::PeriodicMetricReader reader(provider, exporter, {.interval =
//   std::chrono::seconds(10)});
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lumen/core/clock.hpp"
#include "lumen/export/otlp_http_exporter.hpp"  // OtlpProtocol, OtlpCompression
#include "lumen/metrics/metric_exporter.hpp"

namespace lumen::exporters {

struct OtlpHttpMetricExporterOptions {
  // OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, or OTEL_EXPORTER_OTLP_ENDPOINT + "/v1/metrics".
  std::string endpoint = "http://localhost:4318/v1/metrics";
  std::vector<std::pair<std::string, std::string>> headers;  // OTEL_EXPORTER_OTLP_(METRICS_)HEADERS
  std::chrono::milliseconds timeout =
      std::chrono::seconds(10);  // OTEL_EXPORTER_OTLP_(METRICS_)TIMEOUT
  OtlpCompression compression = OtlpCompression::kNone;
  OtlpProtocol protocol = OtlpProtocol::kHttpProtobuf;
  TlsFiles tls;  // OTEL_EXPORTER_OTLP_[SIGNAL_]CERTIFICATE, _CLIENT_CERTIFICATE, _CLIENT_KEY
  // Where the requests go; nullptr: libcurl with `tls` (other pool settings: make_curl_transport,
  // lumen/export/curl_transport.hpp). A test hands an InMemoryTransport to decide each answer.
  std::shared_ptr<HttpTransport> transport;
  // OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE.
  metrics::TemporalityPreference temporality = metrics::TemporalityPreference::kCumulative;
  std::chrono::milliseconds initial_backoff = std::chrono::milliseconds(500);
  std::chrono::milliseconds max_backoff = std::chrono::seconds(5);
  int max_attempts = 5;
  // Receives each report line. Empty: written to stderr.
  std::function<void(const std::string&)> report;
  std::chrono::milliseconds report_interval = std::chrono::seconds(10);
  // What the export timeout, the waits between retries and the report interval are measured on.
  // A test hands a ManualClock and advances it past a back-off or the timeout instead of
  // sleeping. Must outlive the exporter.
  const Clock* clock = &SystemClock::instance();
};

struct OtlpHttpMetricExporterStats {
  std::uint64_t exports_succeeded = 0;  // requests the receiver accepted
  std::uint64_t exports_failed = 0;     // collections not delivered
  std::uint64_t points_rejected = 0;    // data points the receiver reported as rejected
  std::uint64_t requests = 0;           // HTTP attempts, retries included
  std::uint64_t retries = 0;
  std::string last_error;  // empty until something fails
};

class OtlpHttpMetricExporter final : public metrics::MetricExporter {
 public:
  // Throws lumen::Error if the endpoint is not an http:// or https:// URL or the timeout is not
  // positive.
  explicit OtlpHttpMetricExporter(OtlpHttpMetricExporterOptions options = {});
  ~OtlpHttpMetricExporter() override;
  OtlpHttpMetricExporter(const OtlpHttpMetricExporter&) = delete;
  OtlpHttpMetricExporter& operator=(const OtlpHttpMetricExporter&) = delete;

  // Returns by `deadline` or by now + options.timeout, whichever is earlier.
  [[nodiscard]] metrics::MetricExportResult export_metrics(const metrics::MetricsSnapshot& snapshot,
                                                           Deadline deadline) noexcept override;
  [[nodiscard]] metrics::Temporality temporality(
      metrics::InstrumentKind kind) const noexcept override;
  void shutdown(Deadline deadline) noexcept override;

  [[nodiscard]] OtlpHttpMetricExporterStats stats() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace lumen::exporters
