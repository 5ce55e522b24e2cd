// OtlpHttpExporter: sends spans to an OpenTelemetry collector (or Jaeger >= 1.35, which speaks
// OTLP) over OTLP/HTTP, as protobuf (default) or JSON, optionally gzip-compressed; or over
// OTLP/gRPC (protocol kGrpc, endpoint http://host:4317): the TraceService Export call over HTTP/2,
// retrying the OTLP specification's retryable status codes and honouring RetryInfo delays.
//
// The endpoint is used exactly as given: the caller resolves OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or
// OTEL_EXPORTER_OTLP_ENDPOINT + "/v1/traces". Retries 429, 502, 503, 504 and connection errors with
// exponential backoff and jitter (honouring Retry-After) within the export deadline; other errors
// are not retried. Partial successes are reported, not retried. Failures are counted (stats()) and
// reported as one line each, rate-limited, to stderr or a sink of your choice. Never throws from
// export_spans; shutdown() makes a running export give up at once.
// Thread-safety: export_spans is called by one thread at a time (the processor's contract);
// stats() and shutdown() may be called from any thread.
//
//   auto exporter = std::make_shared<lumen::exporters::OtlpHttpExporter>(
//       lumen::exporters::OtlpHttpExporterOptions{
//           .endpoint = "http://localhost:4318/v1/traces",
//           .headers = {{"authorization", "Bearer abc"}},
//           .compression = lumen::exporters::OtlpCompression::kGzip,
//       });
//   lumen::trace::TracerProvider provider({
//       .processor = std::make_unique<lumen::trace::BatchSpanProcessor>(exporter),
//   });
//   ...
//   std::uint64_t lost = exporter->stats().spans_failed;
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lumen/core/clock.hpp"
#include "lumen/export/http_transport.hpp"
#include "lumen/export/tls_files.hpp"
#include "lumen/trace/span_exporter.hpp"

namespace lumen::exporters {

// OTEL_EXPORTER_OTLP_PROTOCOL: http/protobuf, http/json, or grpc (the Export call of the signal's
// collector service over HTTP/2; the endpoint is then scheme://host:port, normally port 4317).
enum class OtlpProtocol : std::uint8_t { kHttpProtobuf, kHttpJson, kGrpc };
enum class OtlpCompression : std::uint8_t { kNone, kGzip };  // OTEL_EXPORTER_OTLP_COMPRESSION

struct OtlpHttpExporterOptions {
  std::string endpoint = "http://localhost:4318/v1/traces";
  std::vector<std::pair<std::string, std::string>> headers;      // OTEL_EXPORTER_OTLP_HEADERS
  std::chrono::milliseconds timeout = std::chrono::seconds(10);  // OTEL_EXPORTER_OTLP_TIMEOUT
  OtlpCompression compression = OtlpCompression::kNone;
  OtlpProtocol protocol = OtlpProtocol::kHttpProtobuf;
  TlsFiles tls;  // OTEL_EXPORTER_OTLP_[SIGNAL_]CERTIFICATE, _CLIENT_CERTIFICATE, _CLIENT_KEY
  // Where the requests go; nullptr: libcurl with `tls` (other pool settings: make_curl_transport,
  // lumen/export/curl_transport.hpp). A test hands an InMemoryTransport to decide each answer.
  std::shared_ptr<HttpTransport> transport;
  // Retry n waits a random time in [0, min(max_backoff, initial_backoff * 2^(n-1))].
  std::chrono::milliseconds initial_backoff = std::chrono::milliseconds(500);
  std::chrono::milliseconds max_backoff = std::chrono::seconds(5);
  int max_attempts = 5;
  // Receives each report line (failures, partial successes). Empty: written to stderr.
  std::function<void(const std::string&)> report;
  // At most one failure line per interval; the next line says how many were suppressed.
  std::chrono::milliseconds report_interval = std::chrono::seconds(10);
  // What the export timeout, the waits between retries and the report interval are measured on.
  // A test hands a ManualClock and advances it past a back-off or the timeout instead of
  // sleeping. Must outlive the exporter.
  const Clock* clock = &SystemClock::instance();
};

struct OtlpHttpExporterStats {
  std::uint64_t spans_exported = 0;  // accepted by the receiver
  std::uint64_t spans_failed = 0;    // not delivered, or rejected in a partial success
  std::uint64_t requests = 0;        // HTTP attempts, retries included
  std::uint64_t retries = 0;
  std::string last_error;  // empty until something fails
};

class OtlpHttpExporter final : public trace::SpanExporter {
 public:
  // Throws lumen::Error if the endpoint is not an http:// or https:// URL.
  explicit OtlpHttpExporter(OtlpHttpExporterOptions options = {});
  ~OtlpHttpExporter() override;
  OtlpHttpExporter(const OtlpHttpExporter&) = delete;
  OtlpHttpExporter& operator=(const OtlpHttpExporter&) = delete;

  // Returns by `deadline` or by now + options.timeout, whichever is earlier.
  [[nodiscard]] trace::ExportResult export_spans(trace::SpanBatch batch,
                                                 Deadline deadline) noexcept override;
  // Not API: the batch processor's spans start as compact records, which are encoded as they are
  // (SpanExporter::reads_records).
  [[nodiscard]] bool reads_records() const noexcept override { return true; }
  [[nodiscard]] trace::ExportResult export_records(trace::OwnedSpanBatch spans,
                                                   trace::RecordBatch records,
                                                   Deadline deadline) noexcept override;
  // Aborts a running export; later exports fail at once.
  void shutdown(Deadline deadline) noexcept override;

  [[nodiscard]] OtlpHttpExporterStats stats() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace lumen::exporters
