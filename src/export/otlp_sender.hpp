// OtlpSender: delivers one encoded OTLP export request over the configured protocol, OTLP/HTTP
// (protobuf or JSON, POST to the endpoint as given) or OTLP/gRPC (the unary Export call of the
// signal's collector service, over HTTP/2), and hands back the receiver's response message. The
// exporters of every signal share it; a signal names its gRPC method and encodes its own request.
// Internal to the export module.
//
// gRPC rides on libcurl's HTTP/2 (nghttp2 inside Debian's libcurl): prior knowledge on http://,
// ALPN on https://. Requests carry te: trailers, grpc-timeout from the time left, grpc-encoding
// gzip with a compressed message when asked, and the user's headers as metadata. The status comes
// from the trailers (or a trailers-only response); retryable codes follow the OTLP specification
// (RESOURCE_EXHAUSTED only with RetryInfo), waiting RetryInfo's delay when the server gives one.
// Thread-safety: as HttpSender (one send at a time; abort() from any thread).
//
//   detail::OtlpSender sender({.protocol = OtlpProtocol::kGrpc, .endpoint =
//   "http://localhost:4317",
//                              .grpc_method = detail::kGrpcTraceExport});
//   detail::OtlpSendResult r = sender.send(request_bytes, deadline);
//   if (r.delivered) { auto partial = detail::parse_partial_success(r.response, r.json); }
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "export/http_sender.hpp"
#include "lumen/export/otlp_http_exporter.hpp"  // OtlpProtocol

namespace lumen::exporters::detail {

inline constexpr std::string_view kGrpcTraceExport =
    "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
inline constexpr std::string_view kGrpcMetricsExport =
    "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
inline constexpr std::string_view kGrpcLogsExport =
    "/opentelemetry.proto.collector.logs.v1.LogsService/Export";

struct OtlpSenderOptions {
  OtlpProtocol protocol = OtlpProtocol::kHttpProtobuf;
  // OTLP/HTTP: the full URL. gRPC: scheme://host:port; a path in it is ignored.
  std::string endpoint;
  std::string_view grpc_method;  // the signal's kGrpc*Export
  HeaderList headers;            // OTEL_EXPORTER_OTLP_HEADERS (gRPC metadata)
  bool gzip = false;
  std::chrono::milliseconds initial_backoff = std::chrono::milliseconds(500);
  std::chrono::milliseconds max_backoff = std::chrono::seconds(5);
  int max_attempts = 5;
  TlsFiles tls;                              // https:// only
  std::shared_ptr<HttpTransport> transport;  // nullptr: libcurl
  const Clock* clock = nullptr;              // deadlines and retry waits (HttpSenderOptions::clock)
};

struct OtlpSendResult {
  bool delivered = false;
  int attempts = 0;
  std::string error;     // why not delivered, with the receiver's own explanation when it gave one
  std::string response;  // the Export*ServiceResponse (protobuf, or JSON for http/json)
  bool json = false;     // how `response` is encoded
};

class OtlpSender {
 public:
  explicit OtlpSender(const OtlpSenderOptions& options);

  [[nodiscard]] OtlpSendResult send(const std::string& request, Deadline deadline);
  // Makes a running or later send() give up at once.
  void abort() noexcept { http_.abort(); }

 private:
  const OtlpProtocol protocol_;
  const bool gzip_;
  HttpSender http_;
  std::string compressed_;  // gRPC: the gzip of the message, reused between sends
};

}  // namespace lumen::exporters::detail
