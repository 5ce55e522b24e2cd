// HttpSender: POSTs an encoded telemetry payload with the OTLP retry rules, over libcurl.
// Internal to the export module (no curl in public headers); shared by the OTLP and Jaeger
// exporters.
//
// Retries with exponential backoff and full jitter on 429, 502, 503, 504 and connection errors,
// honouring Retry-After (seconds or HTTP date); never retries other statuses; never waits past the
// request's deadline. Optional gzip of the body. Sends a User-Agent naming lumen and its version.
// Thread-safety: one send at a time per sender (exporters are called by one thread at a time);
// abort() may be called from any thread and makes a running send return promptly (it also wakes
// a wait between retries). Keeps its connection alive between sends; after fork() the child opens
// its own and leaves the parent's untouched.
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

#include "lumen/trace/span_exporter.hpp"  // lumen::Deadline

namespace lumen::exporters::detail {

struct HttpSenderOptions {
  std::string url;
  std::string content_type;                                 // e.g. application/x-protobuf
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (OTEL_EXPORTER_OTLP_HEADERS)
  bool gzip = false;
  // Retry n (1-based) waits a uniformly random time in [0, min(max_backoff, initial_backoff * 2^(n-1))]
  // ("full jitter"), unless the server said Retry-After.
  std::chrono::milliseconds initial_backoff = std::chrono::milliseconds(500);
  std::chrono::milliseconds max_backoff = std::chrono::seconds(5);
  int max_attempts = 5;  // first try included
};

struct HttpSendResult {
  bool delivered = false;     // a 2xx was received
  long status = 0;            // last HTTP status, 0 if no response
  int attempts = 0;
  std::string response_body;  // of the last response (partial-success details live here)
  std::string error;          // human-readable reason when not delivered
};

class HttpSender {
 public:
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

// The full-jitter delay before retry `retry` (1-based), drawn with `random`.
[[nodiscard]] std::chrono::milliseconds full_jitter_backoff(int retry, std::chrono::milliseconds initial,
                                                            std::chrono::milliseconds max,
                                                            std::uint64_t random) noexcept;

}  // namespace lumen::exporters::detail
