// RejectionCounters: what an AdminServer refused or failed to serve, by reason, and its export as
// the counter lumen.http.server.rejections{reason, server.port} (in Prometheus:
// lumen_http_server_rejections_total), so that an operator sees on /metrics what the HTTP layer
// turned away before any handler saw it.
// Thread-safety: add() and the reads may run on any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lumen/metrics/meter.hpp"

namespace lumen::admin::detail {

enum class Rejection : std::size_t {
  kBadRequest,            // 400: a malformed request line, header or Content-Length
  kHeaderTooLarge,        // 431
  kBodyTooLarge,          // 413
  kExpectationFailed,     // 417
  kConnectionLimit,       // 503: max_connections, or the cap from the descriptor limit
  kDescriptorsExhausted,  // 503: accept() failed with EMFILE/ENFILE; answered with the spare
  kReadTimeout,           // the request did not arrive within read_timeout
  kWriteTimeout,          // the client did not take the response within write_timeout
  kHandlerError,          // 500: a handler threw
  kAbandoned,             // 500: an asynchronous handler dropped its responder
  kWebSocketOverflow,     // a WebSocket client read too slowly and was closed
  kCount,
};

// The `reason` attribute's value.
[[nodiscard]] std::string_view reason_name(Rejection rejection);

class RejectionCounters {
 public:
  void add(Rejection rejection) { counter(rejection).fetch_add(1, std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t get(Rejection rejection) const {
    return counts_[static_cast<std::size_t>(rejection)].load(std::memory_order_relaxed);
  }
  // For the parts (WebSocket connections) that count through a reference.
  std::atomic<std::uint64_t>& counter(Rejection rejection) {
    return counts_[static_cast<std::size_t>(rejection)];
  }

  // Registers the counter with `provider`; the counters must outlive the registration.
  [[nodiscard]] metrics::ObservableRegistration export_to(metrics::MeterProvider& provider,
                                                          std::uint16_t port) const;

 private:
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Rejection::kCount)> counts_{};
};

}  // namespace lumen::admin::detail
