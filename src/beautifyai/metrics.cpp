#include "lumen/beautifyai/metrics.hpp"

#include <unistd.h>

#include <cstdio>

namespace lumen::beautifyai {
namespace {

// Resident set size from /proc/self/statm (second field, in pages); 0 when unavailable.
std::int64_t resident_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  long long size = 0;
  long long resident = 0;
  const int n = std::fscanf(f, "%lld %lld", &size, &resident);
  std::fclose(f);
  if (n != 2) return 0;
  return static_cast<std::int64_t>(resident) * static_cast<std::int64_t>(sysconf(_SC_PAGESIZE));
}

const char* bool_word(bool b) {
  return b ? "true" : "false";
}

}  // namespace

const std::vector<double>& Metrics::size_boundaries() {
  static const std::vector<double> kBounds{1024,   4096,    16384,   65536,
                                           262144, 1048576, 4194304, 16777216};
  return kBounds;
}

const std::vector<double>& Metrics::latency_boundaries() {
  static const std::vector<double> kBounds{0.05, 0.1,  0.2,  0.3,  0.4,  0.5, 0.6, 0.8,
                                           1.0,  1.25, 1.5,  2.0,  2.5,  3.0, 4.0, 5.0,
                                           7.5,  10.0, 15.0, 20.0, 30.0, 60.0};
  return kBounds;
}

Metrics::Metrics(Meter& meter)
    : requests_(meter.create_counter<std::int64_t>(
          "ai.requests", {.description = "AI provider requests by model and outcome"})),
      request_duration_(meter.create_histogram("ai.request.duration",
                                               {.description = "AI provider request duration",
                                                .unit = "s",
                                                .boundaries = latency_boundaries()})),
      tokens_(meter.create_counter<std::int64_t>(
          "ai.tokens", {.description = "Tokens consumed by AI provider requests"})),
      errors_(meter.create_counter<std::int64_t>("errors",
                                                 {.description = "Errors by type and model"})),
      cache_hits_(meter.create_counter<std::int64_t>("cache.hits",
                                                     {.description = "Cache hits by cache type"})),
      cache_requests_(meter.create_counter<std::int64_t>(
          "cache.requests", {.description = "Cache lookups by cache type and outcome"})),
      queue_duration_(meter.create_histogram(
          "queue.processing.duration",
          {.description = "Time a queued job takes to process", .unit = "s"})),
      request_size_(
          meter.create_histogram("request.size", {.description = "Size of incoming requests",
                                                  .unit = "By",
                                                  .boundaries = size_boundaries()})),
      token_usage_(meter.create_counter<std::int64_t>(
          "ai.token.usage", {.description = "AI provider tokens by model and direction"})),
      user_request_duration_(meter.create_histogram(
          "user.request.duration",
          {.description = "End-to-end request latency by user tier", .unit = "s"})),
      calls_avoided_(meter.create_counter<std::int64_t>(
          "ai.calls.avoided",
          {.description = "AI provider calls avoided by caching or coalescing"})),
      cache_saved_(meter.create_counter<std::int64_t>(
          "cache.saved", {.description = "Bytes served from a cache", .unit = "By"})) {
  active_connections_reg_ = meter.create_observable_gauge(
      "active.connections",
      [this](metrics::ObserverResult& r) {
        r.observe(active_connections_.load(std::memory_order_relaxed));
      },
      {.description = "Open client connections"});
  queue_depth_reg_ =
      meter.create_observable_gauge("queue.depth",
                                    [this](metrics::ObserverResult& r) {
                                      r.observe(queue_depth_.load(std::memory_order_relaxed));
                                    },
                                    {.description = "Jobs waiting in the processing queue"});
  memory_reg_ = meter.create_observable_gauge(
      "memory.usage", [](metrics::ObserverResult& r) { r.observe(resident_bytes()); },
      {.description = "Resident memory of the process", .unit = "By"});
  circuit_reg_ = meter.create_observable_gauge(
      "ai.circuit.state",
      [this](metrics::ObserverResult& r) {
        std::lock_guard lock(circuit_mutex_);
        for (const auto& [model, state] : circuit_states_) {
          if (!circuit_sources_.contains(model)) r.observe(state, {{"model", model}});
        }
        for (const auto& [model, read] : circuit_sources_) {
          r.observe(static_cast<std::int64_t>(read()), {{"model", model}});
        }
      },
      {.description = "AI circuit breaker state by model: 0 closed, 1 half-open, 2 open"});
}

void Metrics::record_ai_request(std::string_view model, bool success, double duration_ms,
                                std::optional<std::int64_t> tokens) noexcept {
  const char* ok = bool_word(success);
  const char* has_tokens = bool_word(tokens.has_value());
  requests_.add(1, {{"model", model}, {"success", ok}, {"has_tokens", has_tokens}});
  request_duration_.record(duration_ms / 1000.0,
                           {{"model", model}, {"success", ok}, {"has_tokens", has_tokens}});
  if (tokens) tokens_.add(*tokens, {{"model", model}});
}

void Metrics::record_cache_lookup(std::string_view type, bool hit) noexcept {
  cache_requests_.add(1, {{"type", type}, {"hit", bool_word(hit)}});
  if (hit) cache_hits_.add(1, {{"type", type}});
}

void Metrics::record_error(std::string_view type, std::string_view model) noexcept {
  errors_.add(1, {{"type", type}, {"model", model}});
}

void Metrics::record_queue_processing(double duration_ms) noexcept {
  queue_duration_.record(duration_ms / 1000.0);
}

void Metrics::record_request_size(std::int64_t bytes) noexcept {
  request_size_.record(static_cast<double>(bytes));
}

void Metrics::record_ai_tokens(std::string_view model, std::int64_t input,
                               std::int64_t output) noexcept {
  if (input > 0) token_usage_.add(input, {{"model", model}, {"direction", "input"}});
  if (output > 0) token_usage_.add(output, {{"model", model}, {"direction", "output"}});
}

void Metrics::record_user_request(std::string_view tier, double duration_ms) noexcept {
  user_request_duration_.record(duration_ms / 1000.0, {{"tier", tier}});
}

void Metrics::record_ai_call_avoided(std::string_view model, AvoidedReason reason) noexcept {
  calls_avoided_.add(
      1, {{"model", model}, {"reason", reason == AvoidedReason::kCache ? "cache" : "coalesced"}});
}

void Metrics::record_cache_bytes_saved(std::string_view type, std::int64_t bytes) noexcept {
  if (bytes > 0) cache_saved_.add(bytes, {{"type", type}});
}

void Metrics::set_circuit_state(std::string_view model, CircuitState state) {
  std::lock_guard lock(circuit_mutex_);
  const auto value = static_cast<std::int64_t>(state);
  if (auto it = circuit_states_.find(model); it != circuit_states_.end()) {
    it->second = value;
  } else {
    circuit_states_.emplace(std::string(model), value);
  }
}

void Metrics::set_circuit_state_source(std::string_view model, std::function<CircuitState()> read) {
  std::lock_guard lock(circuit_mutex_);
  if (read) {
    circuit_sources_.insert_or_assign(std::string(model), std::move(read));
  } else if (auto it = circuit_sources_.find(model); it != circuit_sources_.end()) {
    circuit_sources_.erase(it);
  }
}

}  // namespace lumen::beautifyai
