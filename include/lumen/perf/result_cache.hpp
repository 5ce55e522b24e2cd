// ResultCache: the seam between RequestCoalescer and a cache shared by many processes (Redis).
//
//   lumen::perf::RedisClient redis({.url = "redis://127.0.0.1:6379"});
//   lumen::perf::RedisResultCache shared(redis, "lumen:analyze:");
//   lumen::perf::RequestCoalescer<std::string> analyses(
//       {.name = "analyze", .ttl = std::chrono::seconds(5), .shared_cache = &shared,
//        .shared_ttl = std::chrono::minutes(10)});
//
// The coalescer keeps its in-process cache (the embedded default, and a first level in front of
// the shared one); a leader that misses it asks the shared cache before running the function, and
// stores what the function returned there. Values cross the seam as bytes: std::string values as
// they are, other types through a ValueCodec given to the coalescer.
// A ResultCache throws on a backend failure; the coalescer counts it and runs the function
// directly, so a dead Redis costs latency, never an error to the caller.
//
// Thread safety: implementations must allow concurrent calls.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace lumen::perf {

class ResultCache {
 public:
  virtual ~ResultCache() = default;
  // The bytes stored for `key`, or nullopt when absent or expired.
  [[nodiscard]] virtual std::optional<std::string> load(std::string_view key) = 0;
  // Stores `bytes` for `key`, expiring after `ttl` (> 0).
  virtual void store(std::string_view key, std::string_view bytes,
                     std::chrono::nanoseconds ttl) = 0;
  // Removes one key; returns how many were removed.
  virtual std::size_t erase(std::string_view key) = 0;
  // Removes every key for which `match` is true; returns how many.
  virtual std::size_t erase_if(const std::function<bool(std::string_view key)>& match) = 0;
};

// How a coalescer turns its values into bytes for a ResultCache and back. decode returns nullopt
// for bytes it does not understand (another version wrote them): counted, then treated as a miss.
template <typename V>
struct ValueCodec {
  std::function<std::string(const V&)> encode;
  std::function<std::optional<V>(std::string_view)> decode;
};

}  // namespace lumen::perf
