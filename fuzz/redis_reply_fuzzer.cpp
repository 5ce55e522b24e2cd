// What a Redis server answers, as RedisClient and RedisResultCache read it: the bytes of the input
// are what a server on 127.0.0.1 sends on the first connection (then it closes its side; a
// connection the client opens to retry gets nothing), and the first byte chooses the command the
// client runs. Any reply is a value or a RedisError, never a crash or another exception, and the
// client never waits for more than the server sent.
#include <signal.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.hpp"
#include "lumen/perf/redis_cache.hpp"
#include "lumen/perf/redis_client.hpp"
#include "scripted_tcp_server.hpp"

namespace {

lumen::testing::ScriptedTcpServer& server() {
  static lumen::testing::ScriptedTcpServer instance;
  return instance;
}

void run_command(std::uint8_t which, lumen::perf::RedisClient& client) {
  lumen::perf::RedisResultCache cache(client, "fuzz:");
  switch (which % 7) {
    case 0:
      client.ping();
      break;
    case 1:
      (void)client.get("key");
      break;
    case 2:
      client.set("key", "value", std::chrono::milliseconds(1000));
      break;
    case 3:
      (void)client.del("key");
      break;
    case 4:
      (void)client.del_matching("fuzz:*", 2);
      break;
    case 5:
      (void)cache.load("key");
      break;
    default:
      (void)cache.erase_if([](std::string_view key) { return key.size() % 2 == 0; });
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ::signal(SIGPIPE, SIG_IGN);
  (void)server();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  server().set_reply(lumen::fuzz::as_text(data + 1, size - 1));
  lumen::perf::RedisClient client({.url = "redis://127.0.0.1:" + std::to_string(server().port()),
                                   .command_timeout = std::chrono::seconds(10),
                                   .pool_size = 1});
  try {
    run_command(data[0], client);
  } catch (const lumen::perf::RedisError&) {
    // A malformed or unexpected reply: what the caller is told.
  }
  return 0;
}
