#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "lumen/core/error.hpp"
#include "lumen/perf/redis_client.hpp"

namespace lumen::perf {
namespace {

TEST(RedisUrl, ParsesHostPortPasswordAndDatabase) {
  const RedisEndpoint ep = parse_redis_url("redis://:s%40cret@cache.internal:6380/2");
  EXPECT_EQ(ep.host, "cache.internal");
  EXPECT_EQ(ep.port, 6380);
  EXPECT_EQ(ep.username, "");
  EXPECT_EQ(ep.password, "s@cret");
  EXPECT_EQ(ep.db, 2);
}

TEST(RedisUrl, DefaultsPortAndDatabase) {
  const RedisEndpoint ep = parse_redis_url("redis://127.0.0.1");
  EXPECT_EQ(ep.host, "127.0.0.1");
  EXPECT_EQ(ep.port, 6379);
  EXPECT_EQ(ep.db, 0);
  EXPECT_EQ(ep.password, "");
}

TEST(RedisUrl, AcceptsAclUserAndIpv6Host) {
  const RedisEndpoint ep = parse_redis_url("redis://app:pw@[::1]:7000/0");
  EXPECT_EQ(ep.username, "app");
  EXPECT_EQ(ep.password, "pw");
  EXPECT_EQ(ep.host, "::1");
  EXPECT_EQ(ep.port, 7000);
}

std::string error_of(const char* url) {
  try {
    (void)parse_redis_url(url);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(RedisUrl, MalformedUrlsThrowErrorsThatSayWhatIsWrong) {
  EXPECT_NE(error_of("http://x:1").find("does not start with redis://"), std::string::npos);
  EXPECT_NE(error_of("rediss://x:1").find("TLS"), std::string::npos);
  EXPECT_NE(error_of("redis://x:99999").find("port '99999'"), std::string::npos);
  EXPECT_NE(error_of("redis://x:abc").find("port 'abc'"), std::string::npos);
  EXPECT_NE(error_of("redis://x:1/db1").find("database 'db1'"), std::string::npos);
  EXPECT_NE(error_of("redis://:1").find("host is missing"), std::string::npos);
  EXPECT_NE(error_of("redis://:%zz@x").find("two hex digits"), std::string::npos);
  // Every message shows the expected form.
  EXPECT_NE(error_of("redis://x:0").find("redis://[[user]:password@]host[:port][/db]"),
            std::string::npos);
}

TEST(RedisUrl, ClientReadsRedisUrlFromTheEnvironment) {
  ::setenv("REDIS_URL", "redis://10.1.2.3:7777/4", 1);
  RedisClient client(RedisOptions{});  // no connection is made until a command runs
  ::unsetenv("REDIS_URL");
  EXPECT_EQ(client.endpoint().host, "10.1.2.3");
  EXPECT_EQ(client.endpoint().port, 7777);
  EXPECT_EQ(client.endpoint().db, 4);
}

}  // namespace
}  // namespace lumen::perf
