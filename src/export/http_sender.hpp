// HttpSender: POSTs an encoded telemetry payload with the OTLP retry rules, through an
// HttpTransport (libcurl unless a test gives another). Internal to the export module; shared by
// the OTLP, Jaeger and Zipkin exporters and the webhook notifier.
//
// Retries with exponential backoff and full jitter on 429, 502, 503, 504 and connection errors,
// honouring Retry-After (seconds or HTTP date); never retries other statuses; never waits past the
// request's deadline. Optional gzip of the body. Sends a User-Agent naming lumen and its version.
// Other protocols carried over HTTP (gRPC) plug in their own reading of a response (`judge`) and
// per-attempt headers; the retry loop, deadline, abort and connection handling stay here.
// Thread-safety: one send at a time per sender (exporters are called by one thread at a time);
// abort() may be called from any thread and makes a running send return promptly (it also wakes
// a wait between retries, and aborts the transport). The libcurl transport keeps its connection
// alive between sends; after fork() the child opens its own and leaves the parent's untouched.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lumen/core/clock.hpp"
#include "lumen/export/http_transport.hpp"
#include "lumen/export/tls_files.hpp"
#include "lumen/trace/span_exporter.hpp"  // lumen::Deadline

namespace lumen::exporters::detail {

using HeaderList = HttpHeaders;

// A response that arrived whole (no transport error), as a protocol's judge sees it.
struct HttpResponse {
  long status = 0;
  const HeaderList& fields;  // headers then trailers, names in lower case, in arrival order
  const std::string& body;   // at most 64 KiB
};

// What one attempt came to, as the protocol reads its response.
struct AttemptVerdict {
  bool delivered = false;
  bool retryable = false;
  std::optional<std::chrono::milliseconds> retry_delay;  // the server's wish; else backoff
  std::string error;                                     // when not delivered
};

struct HttpSenderOptions {
  std::string url;
  std::string content_type;  // e.g. application/x-protobuf
  HeaderList headers;        // extra headers (OTEL_EXPORTER_OTLP_HEADERS)
  bool gzip = false;
  TlsFiles tls;  // https:// only
  // Retry n (1-based) waits a uniformly random time in [0, min(max_backoff, initial_backoff *
  // 2^(n-1))]
  // ("full jitter"), unless the server said Retry-After.
  std::chrono::milliseconds initial_backoff = std::chrono::milliseconds(500);
  std::chrono::milliseconds max_backoff = std::chrono::seconds(5);
  int max_attempts = 5;  // first try included
  // HTTP/2 without the HTTP/1.1 upgrade dance (prior knowledge) on http://, by ALPN on https://.
  bool http2 = false;
  // Reads a response; empty: the OTLP/HTTP rules (2xx delivered; 429, 502, 503, 504 retried,
  // honouring Retry-After). Called on the sending thread.
  std::function<AttemptVerdict(const HttpResponse&)> judge;
  // Headers added to each attempt, given the time left before the deadline (gRPC's grpc-timeout).
  std::function<HeaderList(std::chrono::milliseconds)> attempt_headers;
  // What deadlines and the waits between retries are measured on; nullptr: the machine's clock.
  // A test's ManualClock makes the next attempt start exactly when it is advanced past the wait
  // (an attempt's own time limit, curl's, is the time left on this clock, in real time).
  const Clock* clock = nullptr;
  // Where the requests go; nullptr: a libcurl transport of the sender's own with `tls`, `http2`
  // and `clock`. abort() aborts it too.
  std::shared_ptr<HttpTransport> transport;
};

struct HttpSendResult {
  bool delivered = false;  // a 2xx was received (or what the judge calls delivered)
  long status = 0;         // last HTTP status, 0 if no response
  int attempts = 0;
  std::string response_body;  // of the last response (partial-success details live here)
  std::string error;          // human-readable reason when not delivered
};

// Throws lumen::Error when `url` is not a URL libcurl can use (no host, a port over 65535, an
// unclosed IPv6 bracket, ...): a set-up error, reported when the exporter is built.
void check_endpoint_url(const std::string& url);

class HttpSender {
 public:
  // Throws lumen::Error for a malformed options.url (check_endpoint_url).
  explicit HttpSender(HttpSenderOptions options);
  ~HttpSender();
  HttpSender(const HttpSender&) = delete;
  HttpSender& operator=(const HttpSender&) = delete;

  [[nodiscard]] HttpSendResult send(const std::string& body, Deadline deadline);
  // Makes a running or later send() give up at once (used by shutdown on a hung collector).
  void abort() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The delay a Retry-After header value asks for: delta seconds or an HTTP date (relative to
// `now`); nullopt when the value is neither. A date in the past means no delay.
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

// Replaces `out` with the gzip stream (RFC 1952) of `in`; false if zlib fails.
[[nodiscard]] bool gzip_compress(std::string_view in, std::string& out);

// The full-jitter delay before retry `retry` (1-based), drawn with `random`.
[[nodiscard]] std::chrono::milliseconds full_jitter_backoff(int retry,
                                                            std::chrono::milliseconds initial,
                                                            std::chrono::milliseconds max,
                                                            std::uint64_t random) noexcept;

}  // namespace lumen::exporters::detail
