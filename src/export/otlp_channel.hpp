// What the OTLP exporters of the three signals (traces, metrics, logs) share: the sender's options
// taken from an exporter's options, the rate-limited report of problems, and the channel that
// sends one request (OTLP/HTTP or OTLP/gRPC, through OtlpSender), counts it and explains a failure.
// Internal.
//
//   detail::OtlpChannel channel(options, detail::kGrpcTraceExport);  // an exporter's options
//   struct channel.body = encoded_request; detail::OtlpPostOutcome outcome =
//   channel.post(deadline); if (!outcome.delivered) channel.reporter.report("lumen: OTLP export
//   failed: " + outcome.error);
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "export/otlp_response.hpp"
#include "export/otlp_sender.hpp"
#include "export/rate_limited_reporter.hpp"
#include "lumen/core/internal/mutex.hpp"
#include "lumen/export/otlp_http_exporter.hpp"  // OtlpProtocol, OtlpCompression

namespace lumen::exporters::detail {

// The exporters' options name these members alike; `grpc_method` is the signal's kGrpc*Export.
template <typename Options>
[[nodiscard]] OtlpSenderOptions otlp_sender_options(const Options& o,
                                                    std::string_view grpc_method) {
  OtlpSenderOptions sender{
      .protocol = o.protocol,
      .endpoint = o.endpoint,
      .grpc_method = grpc_method,
      .headers = o.headers,
      .gzip = o.compression == OtlpCompression::kGzip,
      .initial_backoff = o.initial_backoff,
      .max_backoff = o.max_backoff,
      .max_attempts = std::max(1, o.max_attempts),
  };
  sender.tls = o.tls;
  sender.transport = o.transport;
  return sender;
}

struct OtlpPostOutcome {
  bool delivered = false;
  std::string error;                      // why not, with the receiver's explanation if it gave one
  std::optional<PartialSuccess> partial;  // of a delivered request, when the receiver sent one
};

// The transport half of an OTLP exporter, the same for every signal: the sender, the
// reporter, the request counts, the shut-down flag and the last error. post() is called by one
// thread at a time (the exporter's caller); the other members from any thread.
class OtlpChannel {
 public:
  template <typename Options>
  OtlpChannel(const Options& o, std::string_view grpc_method)
      : reporter(o.report, o.report_interval),
        sender_(otlp_sender_options(o, grpc_method)),
        json_(o.protocol == OtlpProtocol::kHttpJson) {}

  // Sends `body` by `deadline`, counting the attempts.
  [[nodiscard]] OtlpPostOutcome post(Deadline deadline);
  [[nodiscard]] bool json() const noexcept { return json_; }

  // Later posts are refused by the exporter (is_shut_down) and a running one gives up at once.
  void shut_down() noexcept {
    shut_down_.store(true, std::memory_order_release);
    sender_.abort();
  }
  [[nodiscard]] bool is_shut_down() const noexcept {
    return shut_down_.load(std::memory_order_acquire);
  }

  void set_last_error(std::string error);
  [[nodiscard]] std::string last_error() const;
  [[nodiscard]] std::uint64_t requests() const noexcept {
    return requests_.load(std::memory_order_relaxed);
  }
  [[nodiscard]] std::uint64_t retries() const noexcept {
    return retries_.load(std::memory_order_relaxed);
  }

  RateLimitedReporter reporter;
  std::string body;  // the encoded request, reused between exports (post's caller only)

 private:
  OtlpSender sender_;
  const bool json_;
  std::atomic<bool> shut_down_{false};
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> retries_{0};
  mutable lumen::internal::Mutex mutex_;
  std::string last_error_ LUMEN_GUARDED_BY(mutex_);
};

}  // namespace lumen::exporters::detail
