// A throwaway redis-server (Debian's) on 127.0.0.1 for tests: no persistence; start(), kill() and
// start() again on the same port, to show what clients do while Redis is gone.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace lumen::testing {

inline constexpr const char* kRedisServer = "/usr/bin/redis-server";

class RedisServer {
 public:
  RedisServer();
  ~RedisServer();  // kill()
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // True once the server answers PING (within 5 s).
  bool start();
  // SIGKILL: the abrupt failure (no goodbye on open connections).
  void kill();
  [[nodiscard]] std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] std::uint16_t port() const { return port_; }

 private:
  std::uint16_t port_;
  pid_t pid_ = -1;
};

}  // namespace lumen::testing
