#include "lumen/perf/redis_cache.hpp"

#include <algorithm>
#include <vector>

namespace lumen::perf {

namespace {

std::string glob_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

RedisResultCache::RedisResultCache(RedisClient& client, std::string prefix)
    : client_(client), prefix_(std::move(prefix)), prefix_glob_(glob_escape(prefix_) + "*") {}

std::optional<std::string> RedisResultCache::load(std::string_view key) {
  return client_.get(full(key));
}

void RedisResultCache::store(std::string_view key, std::string_view bytes,
                             std::chrono::nanoseconds ttl) {
  // PX has millisecond resolution: round up, so that a sub-millisecond TTL still stores.
  const auto ms = std::max<std::chrono::milliseconds>(
      std::chrono::ceil<std::chrono::milliseconds>(ttl), std::chrono::milliseconds(1));
  client_.set(full(key), bytes, ms);
}

std::size_t RedisResultCache::erase(std::string_view key) {
  return client_.del(full(key));
}

std::size_t RedisResultCache::erase_if(const std::function<bool(std::string_view key)>& match) {
  std::vector<std::string> doomed;
  client_.scan(prefix_glob_, [&](std::string_view k) {
    // SCAN MATCH answers keys with the prefix only; another key (from a proxy or a broken server)
    // is not this cache's to erase.
    if (k.starts_with(prefix_) && match(k.substr(prefix_.size()))) doomed.emplace_back(k);
  });
  std::size_t removed = 0;
  for (const auto& k : doomed) removed += client_.del(k);
  return removed;
}

}  // namespace lumen::perf
