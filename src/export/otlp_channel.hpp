// What the OTLP exporters of the three signals (traces, metrics, logs) share: the check of their
// options, the sender's options taken from them, the rate-limited report of problems, and the
// channel that encodes one request, sends it (OTLP/HTTP or OTLP/gRPC, through OtlpSender) within
// the export timeout, counts it and reports a failure. An exporter keeps only what its signal
// counts. Internal.
//
//   detail::OtlpChannel channel(options, detail::kOtlpTraces);  // throws lumen::Error if unusable
//   const detail::OtlpPostOutcome outcome = channel.send(batch, kTraceEncoding, deadline);
//   if (!outcome.delivered) channel.fail("OTLP export of 3 spans", outcome.error);
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "export/otlp_response.hpp"
#include "export/otlp_sender.hpp"
#include "export/rate_limited_reporter.hpp"
#include "lumen/core/clock.hpp"
#include "lumen/core/internal/mutex.hpp"
#include "lumen/export/otlp_http_exporter.hpp"  // OtlpProtocol, OtlpCompression

namespace lumen::exporters::detail {

// How a signal is named in set-up errors, and where its requests go over gRPC.
struct OtlpSignal {
  std::string_view grpc_method;        // kGrpc*Export
  std::string_view noun;               // "" for traces (the first signal), "metrics ", "logs "
  std::string_view endpoint_variable;  // the signal's own OTEL_EXPORTER_OTLP_*_ENDPOINT
  std::string_view timeout_variable;   // where the timeout came from
};

inline constexpr OtlpSignal kOtlpTraces{kGrpcTraceExport, "", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                                        "OTEL_EXPORTER_OTLP_TIMEOUT"};
inline constexpr OtlpSignal kOtlpMetrics{kGrpcMetricsExport, "metrics ",
                                         "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
                                         "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT"};
inline constexpr OtlpSignal kOtlpLogs{kGrpcLogsExport, "logs ", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
                                      "OTEL_EXPORTER_OTLP_LOGS_TIMEOUT"};

// Returns `endpoint`; throws lumen::Error unless it is an http:// or https:// URL and `timeout` is
// positive.
[[nodiscard]] const std::string& checked_otlp_endpoint(const OtlpSignal& signal,
                                                       const std::string& endpoint,
                                                       std::chrono::milliseconds timeout);

// The exporters' options name these members alike.
template <typename Options>
[[nodiscard]] OtlpSenderOptions otlp_sender_options(Options o, std::string_view grpc_method) {
  OtlpSenderOptions sender{
      .protocol = o.protocol,
      .endpoint = std::move(o.endpoint),
      .grpc_method = grpc_method,
      .headers = std::move(o.headers),
      .gzip = o.compression == OtlpCompression::kGzip,
      .initial_backoff = o.initial_backoff,
      .max_backoff = o.max_backoff,
      .max_attempts = std::max(1, o.max_attempts),
  };
  sender.tls = std::move(o.tls);
  sender.transport = std::move(o.transport);
  sender.clock = o.clock;
  return sender;
}

// A signal's two request encoders; `Batch` is the type its exporter is handed.
template <typename Batch>
struct OtlpEncoding {
  void (*protobuf)(Batch batch, std::string& out);
  std::string (*json)(Batch batch);
};

struct OtlpPostOutcome {
  bool delivered = false;
  std::string error;                      // why not, with the receiver's explanation if it gave one
  std::optional<PartialSuccess> partial;  // of a delivered request, when the receiver sent one
};

// The transport half of an OTLP exporter, the same for every signal: the sender, the
// reporter, the request counts, the shut-down flag and the last error. send() is called by one
// thread at a time (the exporter's caller); the other members from any thread.
class OtlpChannel {
 public:
  // Throws lumen::Error if the options cannot be used (see checked_otlp_endpoint).
  template <typename Options>
  OtlpChannel(Options o, const OtlpSignal& signal)
      : reporter(std::move(o.report), o.report_interval, clock_or_system(o.clock)),
        endpoint_(checked_otlp_endpoint(signal, o.endpoint, o.timeout)),
        timeout_(o.timeout),
        clock_(clock_or_system(o.clock)),
        json_(o.protocol == OtlpProtocol::kHttpJson),
        sender_(otlp_sender_options(std::move(o), signal.grpc_method)) {}

  // Encodes `batch` and sends it by `deadline` or by now + the timeout (on the options' clock),
  // whichever is earlier, counting the attempts.
  template <typename Batch>
  [[nodiscard]] OtlpPostOutcome send(std::type_identity_t<Batch> batch,
                                     const OtlpEncoding<Batch>& encoding, Deadline deadline) {
    if (json_) {
      body_ = encoding.json(batch);
    } else {
      encoding.protobuf(batch, body_);
    }
    return post(std::min(deadline, clock_.now() + timeout_));
  }

  // Remembers `reason` as the last error and reports "lumen: <what> to <endpoint> failed: <reason>"
  // (rate-limited). `what` names the export: "OTLP export of 3 spans".
  void fail(std::string_view what, const std::string& reason);
  // Reports a partial success the receiver explained in `line` (without the "lumen: " prefix; the
  // receiver's message is appended), remembered as the last error when something was rejected.
  void report_partial(std::string line, const PartialSuccess& partial, bool rejected);

  // Later sends are refused by the exporter (is_shut_down) and a running one gives up at once.
  void shut_down() noexcept {
    shut_down_.store(true, std::memory_order_release);
    sender_.abort();
  }
  [[nodiscard]] bool is_shut_down() const noexcept {
    return shut_down_.load(std::memory_order_acquire);
  }

  [[nodiscard]] const std::string& endpoint() const noexcept { return endpoint_; }
  void set_last_error(std::string error);
  [[nodiscard]] std::string last_error() const;
  [[nodiscard]] std::uint64_t requests() const noexcept {
    return requests_.load(std::memory_order_relaxed);
  }
  [[nodiscard]] std::uint64_t retries() const noexcept {
    return retries_.load(std::memory_order_relaxed);
  }
  // Fills the members every exporter's stats share (requests, retries, last_error).
  template <typename Stats>
  [[nodiscard]] Stats with_transport_stats(Stats stats) const {
    stats.requests = requests();
    stats.retries = retries();
    stats.last_error = last_error();
    return stats;
  }

  RateLimitedReporter reporter;

 private:
  [[nodiscard]] OtlpPostOutcome post(Deadline deadline);

  const std::string endpoint_;
  const std::chrono::milliseconds timeout_;
  const Clock& clock_;
  std::string body_;  // the encoded request, reused between exports (send's caller only)
  const bool json_;
  OtlpSender sender_;
  std::atomic<bool> shut_down_{false};
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> retries_{0};
  mutable lumen::internal::Mutex mutex_;
  std::string last_error_ LUMEN_GUARDED_BY(mutex_);
};

// The body of an exporter's noexcept export call: what `export_call` returns, or `failure` when it
// throws (out of memory while encoding), after `on_error("internal error: ...")` counted and
// reported it.
template <typename Result, typename Call, typename OnError>
[[nodiscard]] Result export_without_throwing(Result failure, Call&& export_call,
                                             OnError&& on_error) noexcept {
  try {
    return export_call();
  } catch (const std::exception& e) {
    try {
      on_error(std::string("internal error: ") + e.what());
    } catch (...) {
    }
  } catch (...) {
  }
  return failure;
}

}  // namespace lumen::exporters::detail
