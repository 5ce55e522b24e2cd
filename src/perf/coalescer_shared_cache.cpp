#include "perf/coalescer_shards.hpp"

namespace lumen::perf::detail {

std::optional<std::string> CoalescerShards::shared_load(std::string_view key) {
  if (!shared_usable()) return std::nullopt;
  try {
    std::optional<std::string> bytes = opt_.shared_cache->load(key);
    if (bytes) shared_hits_.fetch_add(1, std::memory_order_relaxed);
    return bytes;
  } catch (...) {
    shared_failed();
    return std::nullopt;
  }
}

void CoalescerShards::shared_store(std::string_view key, std::string_view bytes) {
  if (shared_ttl_ns_ == 0 || !shared_usable()) return;
  try {
    opt_.shared_cache->store(key, bytes, std::chrono::nanoseconds(shared_ttl_ns_));
  } catch (...) {
    shared_failed();
  }
}

void CoalescerShards::shared_erase(const std::function<void(ResultCache&)>& erase) noexcept {
  // Not skipped while the cache is marked down: a missed invalidation would serve stale data
  // to every process once it is back, so each invalidation tries.
  if (opt_.shared_cache == nullptr) return;
  try {
    erase(*opt_.shared_cache);
  } catch (...) {
    shared_failed();
  }
}

}  // namespace lumen::perf::detail
