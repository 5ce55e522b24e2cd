// RedisResultCache: a ResultCache in Redis, so that coalescers in many processes share results.
//
//   lumen::perf::RedisClient redis;                             // REDIS_URL
//   lumen::perf::RedisResultCache shared(redis, "lumen:analyze:");
//   lumen::perf::RequestCoalescer<std::string> c({.ttl = 5s, .shared_cache = &shared});
//
// Each key is stored as `<prefix><key>` with SET ... PX <ttl>. erase_if walks only the prefix's
// keys with SCAN (never KEYS) and deletes the matches in batches. Give each coalescer its own
// prefix. Failures throw RedisError (the coalescer counts them and degrades).
// Thread safety: as RedisClient, every method may be called concurrently.
#pragma once

#include <string>

#include "lumen/perf/redis_client.hpp"
#include "lumen/perf/result_cache.hpp"

namespace lumen::perf {

class RedisResultCache final : public ResultCache {
 public:
  // `client` must outlive the cache.
  explicit RedisResultCache(RedisClient& client, std::string prefix = "lumen:coalescer:");

  [[nodiscard]] std::optional<std::string> load(std::string_view key) override;
  void store(std::string_view key, std::string_view bytes, std::chrono::nanoseconds ttl) override;
  std::size_t erase(std::string_view key) override;
  std::size_t erase_if(const std::function<bool(std::string_view key)>& match) override;

 private:
  std::string full(std::string_view key) const { return prefix_ + std::string(key); }

  RedisClient& client_;
  std::string prefix_;
  std::string prefix_glob_;  // the prefix with glob characters escaped, then '*'
};

}  // namespace lumen::perf
