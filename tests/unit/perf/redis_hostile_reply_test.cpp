// RedisClient and RedisResultCache against replies a real Redis does not send (a proxy, a broken or
// hostile server), played by a scripted server on 127.0.0.1: each gives a value or a RedisError.
// The inputs come from fuzz/redis_reply_fuzzer.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lumen/perf/redis_cache.hpp"
#include "lumen/perf/redis_client.hpp"
#include "scripted_tcp_server.hpp"

namespace lumen::perf {
namespace {

using lumen::testing::ScriptedTcpServer;

std::string url(const ScriptedTcpServer& server) {
  return "redis://127.0.0.1:" + std::to_string(server.port());
}

TEST(RedisHostileReply, EraseIfSkipsKeysWithoutTheCachesPrefix) {
  ScriptedTcpServer server;
  // SCAN: cursor 0 with the keys "fu" (shorter than the prefix) and "fuzz:ab"; then DEL: 1.
  server.set_reply("*2\r\n$1\r\n0\r\n*2\r\n$2\r\nfu\r\n$7\r\nfuzz:ab\r\n:1\r\n");
  RedisClient client({.url = url(server), .pool_size = 1});
  RedisResultCache cache(client, "fuzz:");
  std::vector<std::string> asked;
  const std::size_t erased = cache.erase_if([&](std::string_view key) {
    asked.emplace_back(key);
    return true;
  });
  EXPECT_EQ(erased, 1u);
  EXPECT_EQ(asked, std::vector<std::string>{"ab"});
}

TEST(RedisHostileReply, AReplyCutShortIsAnIoError) {
  ScriptedTcpServer server;
  server.set_reply("$10\r\nhal");
  RedisClient client({.url = url(server), .pool_size = 1});
  try {
    (void)client.get("key");
    FAIL() << "a truncated reply was accepted";
  } catch (const RedisError& e) {
    EXPECT_TRUE(e.io()) << e.what();
  }
}

TEST(RedisHostileReply, AnArrayLongerThanTheLimitIsRefusedBeforeItIsAllocated) {
  ScriptedTcpServer server;
  // A SCAN answered with a count of 999,999,992 elements and none of them: hiredis alone
  // allocates their 8 GB table on reading the count (fuzz/redis_reply_fuzzer ran out of memory).
  server.set_reply("*999999992\r\n:00\r\n");
  RedisClient client({.url = url(server), .pool_size = 1});
  try {
    client.scan("fuzz:*", [](std::string_view) {});
    FAIL() << "a reply of 999999992 elements was accepted";
  } catch (const RedisError& e) {
    EXPECT_NE(std::string(e.what()).find("a reply of 999999992 elements, more than the 1048576"),
              std::string::npos)
        << e.what();
    EXPECT_TRUE(e.io()) << e.what();
  }
}

}  // namespace
}  // namespace lumen::perf
