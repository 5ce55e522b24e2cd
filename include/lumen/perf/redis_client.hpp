// RedisClient: a pooled, instrumented Redis client on hiredis (blocking, one command per lease).
//
//   lumen::perf::RedisClient redis({.url = "redis://:secret@127.0.0.1:6379/2",  // or REDIS_URL
//                                   .tracer = &tracer, .meter = &meter});
//   redis.set("session:42", "payload", std::chrono::seconds(30));   // SET ... PX 30000
//   std::optional<std::string> v = redis.get("session:42");
//   redis.del_matching("session:*");                                 // SCAN + DEL, never KEYS
//
// Connections live in a ResourcePool (bounded, acquire timeout, pool metrics under pool=<name>).
// Each command has a deadline (command_timeout) and each connect one (connect_timeout). A
// connection that failed at the I/O level (refused, reset, timed out) is destroyed, never reused;
// an idempotent command that failed that way on a connection taken from the idle list is retried
// once on a fresh one, so a Redis restart costs no error when the server is back.
// Failures throw RedisError (the server's own error text, or what went wrong on the wire);
// a malformed URL throws lumen::Error.
// Each command is a client span named after the command (db.system=redis, db.operation,
// server.address, server.port) when a tracer is given.
//
// Thread safety: every method may be called concurrently; each call leases its own connection.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "lumen/perf/resource_pool.hpp"

namespace lumen::metrics {
class Meter;
}
namespace lumen::trace {
class Tracer;
}

namespace lumen::perf {

// A command failed: Redis answered with an error, or the connection failed (then io() is true).
class RedisError : public std::runtime_error {
 public:
  RedisError(const std::string& message, bool io) : std::runtime_error(message), io_(io) {}
  [[nodiscard]] bool io() const noexcept { return io_; }

 private:
  bool io_;
};

// Where to connect, parsed from `redis://[:password@]host[:port][/db]` (also `user:password@`).
struct RedisEndpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  std::string username;  // Redis 6 ACL user; empty: the default user
  std::string password;  // empty: no AUTH
  int db = 0;
};

// Parses a redis:// URL; throws lumen::Error that says which part is wrong.
[[nodiscard]] RedisEndpoint parse_redis_url(std::string_view url);

struct RedisOptions {
  // Empty: the REDIS_URL environment variable, else redis://127.0.0.1:6379.
  std::string url;
  std::chrono::milliseconds connect_timeout{500};
  std::chrono::milliseconds command_timeout{1000};
  std::size_t pool_size = 8;
  std::size_t min_idle = 0;  // connected up front (the constructor throws if Redis is down then)
  std::chrono::milliseconds acquire_timeout{1000};
  std::string name = "redis";       // pool name in metrics
  trace::Tracer* tracer = nullptr;  // nullptr: no spans
  metrics::Meter* meter = nullptr;  // nullptr: no pool metrics
};

class RedisClient {
 public:
  explicit RedisClient(RedisOptions options = {});
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Throws RedisError unless the server answers PONG.
  void ping();
  [[nodiscard]] std::optional<std::string> get(std::string_view key);
  // SET key value [PX ttl]; a ttl of zero or less stores without expiry.
  void set(std::string_view key, std::string_view value,
           std::chrono::milliseconds ttl = std::chrono::milliseconds(0));
  // DEL; returns how many keys existed.
  std::size_t del(std::string_view key);
  // Calls `each` for every key matching the glob, walking the keyspace with SCAN (`count` per
  // step) so that a large keyspace never blocks the server the way KEYS does.
  void scan(std::string_view glob, const std::function<void(std::string_view)>& each,
            std::size_t count = 500);
  // Deletes every key matching the glob (SCAN, then DEL in batches); returns how many.
  std::size_t del_matching(std::string_view glob, std::size_t count = 500);

  [[nodiscard]] const RedisEndpoint& endpoint() const noexcept;
  [[nodiscard]] PoolStats pool_stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lumen::perf
