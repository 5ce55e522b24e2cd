// The BeautifyAI instrument set: the original MetricsCollector as a small layer on the generic
// metrics API. report_profile() (lumen/beautifyai/report_profile.hpp) tells the report these names.
// Names follow the Prometheus conventions that `promtool check metrics` enforces: the original's
// camelCase label hasTokens is has_tokens here, and its millisecond latency histogram is
// ai_request_duration_seconds. Durations are still passed in milliseconds, as the original API
// took them, and converted to seconds.
//
//   lumen::beautifyai::Metrics ai(provider.meter(lumen::beautifyai::kServiceName));
//   ai.record_ai_request("gemini-2.0-flash", /*success=*/true, /*duration_ms=*/182.0,
//   /*tokens=*/812); ai.record_cache_lookup("document", /*hit=*/true);
//   ai.set_queue_depth(queue.size());
//   // What the performance report (lumen::report) needs beyond the original set:
//   ai.record_ai_tokens("gemini-2.0-flash", /*input=*/600, /*output=*/212);
//   ai.record_user_request("pro", /*duration_ms=*/240.0);
//   ai.record_ai_call_avoided("gemini-2.0-flash", lumen::beautifyai::AvoidedReason::kCoalesced);
//   ai.record_cache_bytes_saved("document", 48'000);
//   ai.set_circuit_state("gpt-4o-mini", lumen::beautifyai::CircuitState::kOpen);
//
// Thread safety: every method may be called from any thread. The object must outlive the
// provider's collections (its observable callbacks read it); destroying it unregisters them.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <vector>

#include "lumen/beautifyai/service.hpp"
#include "lumen/metrics/meter.hpp"

namespace lumen::beautifyai {

using metrics::Counter;
using metrics::Histogram;
using metrics::Meter;
using metrics::ObservableRegistration;

// Why an AI provider call was not made: a cache answered, or the call joined an identical one
// already in flight (request coalescing).
enum class AvoidedReason : std::uint8_t { kCache, kCoalesced };

// A per-model circuit breaker's state, exposed as the gauge value 0, 1 or 2.
enum class CircuitState : std::uint8_t { kClosed = 0, kHalfOpen = 1, kOpen = 2 };

class Metrics {
 public:
  explicit Metrics(Meter& meter);
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // ai_requests_total{model,success,has_tokens}, ai_request_duration_seconds{...} and, when tokens
  // are given, ai_tokens_total{model}.
  void record_ai_request(std::string_view model, bool success, double duration_ms,
                         std::optional<std::int64_t> tokens = std::nullopt) noexcept;
  // cache_requests_total{type,hit} and, on a hit, cache_hits_total{type}. type is document,
  // enhancement or similarity.
  void record_cache_lookup(std::string_view type, bool hit) noexcept;
  // errors_total{type,model}
  void record_error(std::string_view type, std::string_view model) noexcept;
  // queue_processing_duration_seconds
  void record_queue_processing(double duration_ms) noexcept;
  // request_size_bytes
  void record_request_size(std::int64_t bytes) noexcept;

  // For the performance report (cost by model, Apdex, cost savings, breakers):
  // ai_token_usage_total{model,direction="input"|"output"}. Separate from ai_tokens_total{model}
  // (the total record_ai_request takes), so calling both never double counts.
  void record_ai_tokens(std::string_view model, std::int64_t input, std::int64_t output) noexcept;
  // user_request_duration_seconds{tier}: end-to-end latency of one user request, by user tier
  // (free, pro, ...): what Apdex is computed from.
  void record_user_request(std::string_view tier, double duration_ms) noexcept;
  // ai_calls_avoided_total{model,reason="cache"|"coalesced"}: an AI call that was not made.
  void record_ai_call_avoided(std::string_view model, AvoidedReason reason) noexcept;
  // cache_saved_bytes_total{type}: bytes served from a cache instead of being produced again.
  void record_cache_bytes_saved(std::string_view type, std::int64_t bytes) noexcept;
  // ai_circuit_state{model}: 0 closed, 1 half-open, 2 open (observed at collection).
  void set_circuit_state(std::string_view model, CircuitState state);
  // For a breaker whose state changes with time alone (open turns half-open when its pause ends,
  // with no call to say so): each collection calls `read` instead of showing the last value set.
  // An empty `read` removes the source; once this returns, the old `read` is no longer running and
  // will not be called again, so what it reads may then be destroyed.
  void set_circuit_state_source(std::string_view model, std::function<CircuitState()> read);

  // Observed at collection: active_connections, queue_depth; memory_usage_bytes reads the
  // process's resident set size.
  void set_active_connections(std::int64_t n) noexcept {
    active_connections_.store(n, std::memory_order_relaxed);
  }
  void add_active_connections(std::int64_t delta) noexcept {
    active_connections_.fetch_add(delta, std::memory_order_relaxed);
  }
  void set_queue_depth(std::int64_t n) noexcept {
    queue_depth_.store(n, std::memory_order_relaxed);
  }

  // Bucket upper bounds of request_size_bytes: 1 KiB .. 16 MiB by powers of four.
  static const std::vector<double>& size_boundaries();
  // Bucket upper bounds of ai_request_duration_seconds: 50 ms .. 60 s, about 25 % apart where
  // model calls usually land (0.2 .. 5 s), where the generic latency buckets jump from 1 to 2.5 s.
  static const std::vector<double>& latency_boundaries();

 private:
  Counter<std::int64_t> requests_;
  Histogram request_duration_;
  Counter<std::int64_t> tokens_;
  Counter<std::int64_t> errors_;
  Counter<std::int64_t> cache_hits_;
  Counter<std::int64_t> cache_requests_;
  Histogram queue_duration_;
  Histogram request_size_;
  Counter<std::int64_t> token_usage_;
  Histogram user_request_duration_;
  Counter<std::int64_t> calls_avoided_;
  Counter<std::int64_t> cache_saved_;
  std::mutex circuit_mutex_;
  std::map<std::string, std::int64_t, std::less<>> circuit_states_;  // GUARDED_BY(circuit_mutex_)
  std::map<std::string, std::function<CircuitState()>, std::less<>>
      circuit_sources_;  // GUARDED_BY(circuit_mutex_)
  std::atomic<std::int64_t> active_connections_{0};
  std::atomic<std::int64_t> queue_depth_{0};
  ObservableRegistration active_connections_reg_;
  ObservableRegistration queue_depth_reg_;
  ObservableRegistration memory_reg_;
  ObservableRegistration circuit_reg_;
};

}  // namespace lumen::beautifyai
