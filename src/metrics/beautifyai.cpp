#include "lumen/metrics/beautifyai.hpp"

#include <unistd.h>

#include <cstdio>

namespace lumen::metrics {
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

const char* bool_word(bool b) { return b ? "true" : "false"; }

}  // namespace

const std::vector<double>& BeautifyAiMetrics::size_boundaries() {
  static const std::vector<double> kBounds{1024,      4096,      16384,      65536,
                                           262144,    1048576,   4194304,    16777216};
  return kBounds;
}

BeautifyAiMetrics::BeautifyAiMetrics(Meter& meter)
    : requests_(meter.create_counter<std::int64_t>(
          "ai.requests", {.description = "AI provider requests by model and outcome"})),
      request_duration_(meter.create_histogram(
          "ai.request.duration", {.description = "AI provider request duration", .unit = "s"})),
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
      request_size_(meter.create_histogram(
          "request.size",
          {.description = "Size of incoming requests", .unit = "By", .boundaries = size_boundaries()})) {
  active_connections_reg_ = meter.create_observable_gauge(
      "active.connections",
      [this](ObserverResult& r) { r.observe(active_connections_.load(std::memory_order_relaxed)); },
      {.description = "Open client connections"});
  queue_depth_reg_ = meter.create_observable_gauge(
      "queue.depth",
      [this](ObserverResult& r) { r.observe(queue_depth_.load(std::memory_order_relaxed)); },
      {.description = "Jobs waiting in the processing queue"});
  memory_reg_ = meter.create_observable_gauge(
      "memory.usage", [](ObserverResult& r) { r.observe(resident_bytes()); },
      {.description = "Resident memory of the process", .unit = "By"});
}

void BeautifyAiMetrics::record_ai_request(std::string_view model, bool success, double duration_ms,
                                          std::optional<std::int64_t> tokens) noexcept {
  const char* ok = bool_word(success);
  const char* has_tokens = bool_word(tokens.has_value());
  requests_.add(1, {{"model", model}, {"success", ok}, {"has_tokens", has_tokens}});
  request_duration_.record(duration_ms / 1000.0,
                           {{"model", model}, {"success", ok}, {"has_tokens", has_tokens}});
  if (tokens) tokens_.add(*tokens, {{"model", model}});
}

void BeautifyAiMetrics::record_cache_lookup(std::string_view type, bool hit) noexcept {
  cache_requests_.add(1, {{"type", type}, {"hit", bool_word(hit)}});
  if (hit) cache_hits_.add(1, {{"type", type}});
}

void BeautifyAiMetrics::record_error(std::string_view type, std::string_view model) noexcept {
  errors_.add(1, {{"type", type}, {"model", model}});
}

void BeautifyAiMetrics::record_queue_processing(double duration_ms) noexcept {
  queue_duration_.record(duration_ms / 1000.0);
}

void BeautifyAiMetrics::record_request_size(std::int64_t bytes) noexcept {
  request_size_.record(static_cast<double>(bytes));
}

}  // namespace lumen::metrics
