#include "redis_server.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>
#include <vector>

#include "http_client.hpp"
#include "lumen/perf/redis_client.hpp"

extern char** environ;

namespace lumen::testing {

using namespace std::chrono_literals;

RedisServer::RedisServer() : port_(free_loopback_port()) {}

RedisServer::~RedisServer() {
  kill();
}

bool RedisServer::start() {
  const std::string port = std::to_string(port_);
  std::vector<const char*> argv{kRedisServer, "--port",     port.c_str(), "--bind",
                                "127.0.0.1",  "--save",     "",           "--appendonly",
                                "no",         "--loglevel", "warning",    nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  const int rc = posix_spawn(&pid_, kRedisServer, &actions, nullptr,
                             const_cast<char* const*>(argv.data()), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    pid_ = -1;
    return false;
  }
  perf::RedisClient probe({.url = url(), .connect_timeout = 100ms, .pool_size = 1});
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      probe.ping();
      return true;
    } catch (const perf::RedisError&) {
      std::this_thread::sleep_for(5ms);  // polling a server process: give it the CPU
    }
  }
  return false;
}

void RedisServer::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace lumen::testing
