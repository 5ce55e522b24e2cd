// OtlpHttpLogExporter: sends log records to an OpenTelemetry collector over OTLP/HTTP
// (POST <endpoint>, normally .../v1/logs), as protobuf (default) or JSON, optionally gzip; or,
// with OtlpProtocol::kGrpc, OTLP/gRPC (LogsService/Export, as the span exporter describes).
// Same transport and retry rules as the span and metric exporters: 429, 502, 503, 504 and
// connection errors are retried with exponential backoff and full jitter (honouring Retry-After)
// within the export deadline; other errors are not. Failures are counted (stats()) and reported,
// rate-limited, to stderr or a sink of your choice. Never throws from export_logs.
// Thread-safety: export_logs is called by one thread at a time (the BatchLogSink's worker); stats()
// and shutdown() may be called from any thread; shutdown() makes a running export give up at once.
//
//   auto exporter = std::make_shared<lumen::exporters::OtlpHttpLogExporter>(
//       lumen::exporters::OtlpHttpLogExporterOptions{.endpoint = "http://localhost:4318/v1/logs"});
//   auto sink = std::make_shared<lumen::log::BatchLogSink>(exporter);
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
#include "lumen/log/log_exporter.hpp"

namespace lumen::exporters {

struct OtlpHttpLogExporterOptions {
  // OTEL_EXPORTER_OTLP_LOGS_ENDPOINT, or OTEL_EXPORTER_OTLP_ENDPOINT + "/v1/logs".
  std::string endpoint = "http://localhost:4318/v1/logs";
  std::vector<std::pair<std::string, std::string>> headers;  // OTEL_EXPORTER_OTLP_(LOGS_)HEADERS
  std::chrono::milliseconds timeout =
      std::chrono::seconds(10);  // OTEL_EXPORTER_OTLP_(LOGS_)TIMEOUT
  OtlpCompression compression = OtlpCompression::kNone;
  OtlpProtocol protocol = OtlpProtocol::kHttpProtobuf;
  TlsFiles tls;  // OTEL_EXPORTER_OTLP_[LOGS_]CERTIFICATE, _CLIENT_CERTIFICATE, _CLIENT_KEY
  // Where the requests go; nullptr: libcurl with `tls` (other pool settings: make_curl_transport,
  // lumen/export/curl_transport.hpp). A test hands an InMemoryTransport to decide each answer.
  std::shared_ptr<HttpTransport> transport;
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

struct OtlpHttpLogExporterStats {
  std::uint64_t records_exported = 0;  // accepted by the receiver
  std::uint64_t records_failed = 0;    // not delivered, or rejected in a partial success
  std::uint64_t requests = 0;          // HTTP attempts, retries included
  std::uint64_t retries = 0;
  std::string last_error;  // empty until something fails
};

class OtlpHttpLogExporter final : public log::LogExporter {
 public:
  // Throws lumen::Error if the endpoint is not an http:// or https:// URL or the timeout is not
  // positive.
  explicit OtlpHttpLogExporter(OtlpHttpLogExporterOptions options = {});
  ~OtlpHttpLogExporter() override;
  OtlpHttpLogExporter(const OtlpHttpLogExporter&) = delete;
  OtlpHttpLogExporter& operator=(const OtlpHttpLogExporter&) = delete;

  // Returns by `deadline` or by now + options.timeout, whichever is earlier.
  [[nodiscard]] log::LogExportResult export_logs(const log::LogBatch& batch,
                                                 Deadline deadline) noexcept override;
  void shutdown(Deadline deadline) noexcept override;

  [[nodiscard]] OtlpHttpLogExporterStats stats() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace lumen::exporters
