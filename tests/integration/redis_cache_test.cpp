// The Redis client and the Redis-backed coalescer cache against a real redis-server on 127.0.0.1,
// which the tests start, kill mid-run and restart.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "eventually.hpp"
#include "http_client.hpp"
#include "lumen/core/clock.hpp"
#include "lumen/export/memory_exporter.hpp"
#include "lumen/metrics/meter.hpp"
#include "lumen/perf/redis_cache.hpp"
#include "lumen/perf/redis_client.hpp"
#include "lumen/perf/request_coalescer.hpp"
#include "lumen/trace/tracer_provider.hpp"
#include "redis_server.hpp"

namespace lumen::perf {
namespace {

using namespace std::chrono_literals;

using lumen::testing::kRedisServer;
using lumen::testing::RedisServer;

using lumen::testing::eventually;

class RedisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::access(kRedisServer, X_OK), 0)
        << kRedisServer << " is missing: run scripts/bootstrap.sh (apt-get install redis-server)";
    ASSERT_TRUE(server_.start()) << "redis-server did not answer PING on port " << server_.port();
  }
  RedisServer server_;
};

TEST_F(RedisTest, SetGetDelRoundTripBinarySafeValues) {
  RedisClient redis({.url = server_.url()});
  const std::string value("a\0b\r\nc", 6);
  redis.set("k", value);
  EXPECT_EQ(redis.get("k"), value);
  EXPECT_EQ(redis.del("k"), 1u);
  EXPECT_EQ(redis.get("k"), std::nullopt);
  EXPECT_EQ(redis.del("k"), 0u);
  redis.ping();
}

TEST_F(RedisTest, SetWithTtlExpiresTheKey) {
  RedisClient redis({.url = server_.url()});
  redis.set("short", "v", 30ms);
  redis.set("long", "v", 60s);
  EXPECT_TRUE(eventually([&] { return !redis.get("short").has_value(); }, 2s));
  EXPECT_EQ(redis.get("long"), "v");
}

TEST_F(RedisTest, DelMatchingRemovesOnlyMatchingKeysAcrossManyScanSteps) {
  RedisClient redis({.url = server_.url()});
  for (int i = 0; i < 1200; ++i) redis.set("img:" + std::to_string(i), "x");
  for (int i = 0; i < 10; ++i) redis.set("user:" + std::to_string(i), "x");
  EXPECT_EQ(redis.del_matching("img:*", 100), 1200u);
  std::size_t left = 0;
  redis.scan("*", [&](std::string_view k) {
    EXPECT_EQ(k.substr(0, 5), "user:");
    ++left;
  });
  EXPECT_EQ(left, 10u);
}

TEST_F(RedisTest, ServerErrorIsARedisErrorNotAnIoError) {
  RedisClient redis({.url = server_.url(), .pool_size = 1});
  redis.set("k", "v");
  // The server refuses SELECT of a database it does not have (16 by default).
  RedisClient bad_db({.url = server_.url() + "/99999"});
  try {
    (void)bad_db.get("k");
    FAIL() << "SELECT 99999 should fail";
  } catch (const RedisError& e) {
    EXPECT_FALSE(e.io());
    EXPECT_NE(std::string(e.what()).find("SELECT"), std::string::npos) << e.what();
  }
  EXPECT_EQ(redis.get("k"), "v");
  EXPECT_EQ(redis.pool_stats().destroyed, 0u);
  EXPECT_EQ(redis.pool_stats().created, 1u);
}

TEST_F(RedisTest, DatabaseFromTheUrlIsSelected) {
  RedisClient db0({.url = server_.url() + "/0"});
  RedisClient db3({.url = server_.url() + "/3"});
  db3.set("k", "three");
  EXPECT_EQ(db0.get("k"), std::nullopt);
  EXPECT_EQ(db3.get("k"), "three");
}

TEST_F(RedisTest, DeadServerThrowsAnIoErrorAndRestartedServerIsUsedWithoutError) {
  RedisClient redis({.url = server_.url(), .connect_timeout = 200ms, .pool_size = 2});
  redis.set("k", "v");
  server_.kill();
  try {
    (void)redis.get("k");
    FAIL() << "the server is dead";
  } catch (const RedisError& e) {
    EXPECT_TRUE(e.io()) << e.what();
  }
  const PoolStats after_failure = redis.pool_stats();
  EXPECT_GE(after_failure.destroyed, 1u);  // the broken connection was not returned for reuse
  EXPECT_EQ(after_failure.idle, 0u);
  ASSERT_TRUE(server_.start());
  redis.set("k2", "v2");  // a fresh connection, recreated by the pool
  EXPECT_EQ(redis.get("k2"), "v2");
}

TEST_F(RedisTest, IdleConnectionKilledByARestartIsReplacedTransparently) {
  RedisClient redis({.url = server_.url(), .pool_size = 1});
  redis.set("k", "v");  // leaves one idle connection
  server_.kill();
  ASSERT_TRUE(server_.start());
  EXPECT_EQ(redis.get("k"), std::nullopt);  // no error: retried once on a new connection
  EXPECT_EQ(redis.pool_stats().destroyed, 1u);
  EXPECT_EQ(redis.pool_stats().created, 2u);
}

TEST_F(RedisTest, CommandsAreClientSpansWithDatabaseAttributes) {
  auto memory = std::make_shared<exporters::InMemorySpanExporter>();
  trace::TracerProvider provider{
      {.processor = std::make_unique<trace::SimpleSpanProcessor>(memory)}};
  RedisClient redis({.url = server_.url(), .tracer = &provider.tracer("test")});
  redis.set("k", "v");
  (void)redis.get("k");
  const auto spans = memory->spans();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[1].name, "GET");
  EXPECT_EQ(spans[1].kind, trace::SpanKind::kClient);
  const auto attr = [&](std::string_view key) { return spans[1].attributes.find(key); };
  ASSERT_NE(attr("db.system"), nullptr);
  EXPECT_EQ(std::get<std::string>(*attr("db.system")), "redis");
  EXPECT_EQ(std::get<std::string>(*attr("db.operation")), "GET");
  EXPECT_EQ(std::get<std::string>(*attr("server.address")), "127.0.0.1");
  EXPECT_EQ(std::get<std::int64_t>(*attr("server.port")), server_.port());
  EXPECT_EQ(spans[1].status, trace::StatusCode::kOk);
}

TEST_F(RedisTest, TwoCoalescersSharingOneRedisShareResults) {
  RedisClient redis({.url = server_.url()});
  RedisResultCache shared(redis, "test:analyze:");
  // Two "service instances": separate coalescers, no in-process caching, one Redis.
  RequestCoalescer<std::string> a({.ttl = 0s, .shared_cache = &shared, .shared_ttl = 60s});
  RequestCoalescer<std::string> b({.ttl = 0s, .shared_cache = &shared, .shared_ttl = 60s});
  int upstream = 0;
  EXPECT_EQ(a.get("img-1", [&] { return "result-" + std::to_string(++upstream); }), "result-1");
  EXPECT_EQ(b.get("img-1", [&] { return "result-" + std::to_string(++upstream); }), "result-1");
  EXPECT_EQ(upstream, 1);
  EXPECT_EQ(b.stats().shared_hits, 1u);
  EXPECT_EQ(redis.get("test:analyze:img-1"), "result-1");
}

TEST_F(RedisTest, NonStringValuesCrossRedisThroughTheCodec) {
  RedisClient redis({.url = server_.url()});
  RedisResultCache shared(redis, "test:n:");
  ValueCodec<int> codec{
      .encode = [](const int& v) { return std::to_string(v); },
      .decode = [](std::string_view b) -> std::optional<int> {
        if (b.empty() || b.find_first_not_of("0123456789") != std::string_view::npos)
          return std::nullopt;
        return std::stoi(std::string(b));
      }};
  RequestCoalescer<int> a({.ttl = 0s, .shared_cache = &shared, .shared_ttl = 60s}, codec);
  RequestCoalescer<int> b({.ttl = 0s, .shared_cache = &shared, .shared_ttl = 60s}, codec);
  EXPECT_EQ(a.get("k", [] { return 42; }), 42);
  EXPECT_EQ(b.get("k", [] { return 7; }), 42);
  redis.set("test:n:garbage", "not-a-number");
  EXPECT_EQ(b.get("garbage", [] { return 9; }), 9);  // undecodable bytes: a counted miss
  EXPECT_EQ(b.stats().shared_errors, 1u);
  EXPECT_EQ(redis.get("test:n:garbage"), "9");
}

TEST(RedisCoalescer, SharedCacheNeedsACodecForNonStringValues) {
  RedisClient redis({.url = "redis://127.0.0.1:1"});  // never contacted
  RedisResultCache shared(redis);
  EXPECT_THROW(RequestCoalescer<int>({.shared_cache = &shared}), Error);
}

TEST_F(RedisTest, SharedTtlExpiresResultsInRedis) {
  RedisClient redis({.url = server_.url()});
  RedisResultCache shared(redis, "test:ttl:");
  // Long enough that a test thread or redis-server kept off the CPU between the write and the read
  // back still finds the key (40 ms was not, on a loaded machine), short enough to wait for.
  RequestCoalescer<std::string> a({.ttl = 0s, .shared_cache = &shared, .shared_ttl = 1s});
  (void)a.get("k", [] { return std::string("v"); });
  EXPECT_EQ(redis.get("test:ttl:k"), "v");
  EXPECT_TRUE(eventually([&] { return !redis.get("test:ttl:k").has_value(); }, 5s));
}

TEST_F(RedisTest, InvalidationReachesTheSharedCache) {
  RedisClient redis({.url = server_.url()});
  RedisResultCache shared(redis, "test:inv:");
  RequestCoalescer<std::string> a({.ttl = 60s, .shared_cache = &shared, .shared_ttl = 60s});
  for (const char* k : {"user:1", "user:2", "img:1"})
    (void)a.get(k, [] { return std::string("v"); });
  redis.set("other:user:9", "not ours");
  EXPECT_EQ(a.invalidate_key("user:1"), 1u);
  EXPECT_EQ(redis.get("test:inv:user:1"), std::nullopt);
  EXPECT_EQ(a.invalidate_matching("^user:"), 1u);
  EXPECT_EQ(redis.get("test:inv:user:2"), std::nullopt);
  EXPECT_EQ(redis.get("test:inv:img:1"), "v");
  (void)a.invalidate();
  EXPECT_EQ(redis.get("test:inv:img:1"), std::nullopt);
  EXPECT_EQ(redis.get("other:user:9"), "not ours");  // outside the prefix: untouched
}

// The value of an integer metric point `name` whose attribute `key` is `value`; -1 when absent.
std::int64_t metric(metrics::MeterProvider& provider, std::string_view name, std::string_view key,
                    std::string_view value) {
  for (const auto& m : provider.collect().metrics) {
    if (m.name != name) continue;
    for (const auto& p : m.number_points) {
      const AttributeValue* a = p.attributes.find(key);
      if (a != nullptr && std::get<std::string>(*a) == value) return p.int_value;
    }
  }
  return -1;
}

TEST_F(RedisTest, CoalescerDegradesToDirectExecutionWhileRedisIsDownAndRecovers) {
  metrics::MeterProvider provider;
  RedisClient redis({.url = server_.url(),
                     .connect_timeout = 200ms,
                     .name = "cache-redis",
                     .meter = &provider.meter("redis")});
  RedisResultCache shared(redis, "test:deg:");
  ManualClock clock;
  RequestCoalescer<std::string> a({.name = "analyze",
                                   .ttl = 0s,
                                   .clock = &clock,
                                   .meter = &provider.meter("perf"),
                                   .shared_cache = &shared,
                                   .shared_ttl = 60s,
                                   .shared_retry_after = 1s});
  std::atomic<int> upstream{0};
  auto fn = [&] { return "v" + std::to_string(++upstream); };
  EXPECT_EQ(a.get("k", fn), "v1");
  EXPECT_EQ(a.get("k", fn), "v1");  // from Redis
  EXPECT_EQ(upstream, 1);

  server_.kill();
  // Every call still answers, by running the function directly; the first failure is counted,
  // then the shared cache is skipped for shared_retry_after.
  EXPECT_EQ(a.get("k", fn), "v2");
  EXPECT_EQ(a.get("k", fn), "v3");
  EXPECT_EQ(a.get("k", fn), "v4");
  CoalescerStats st = a.stats();
  EXPECT_EQ(st.shared_errors, 1u);
  EXPECT_EQ(st.shared_skipped, 5u);  // the failed call's store, then two calls' load and store
  EXPECT_EQ(upstream, 4);
  EXPECT_EQ(metric(provider, "lumen.coalescer.shared_errors", "coalescer", "analyze"), 1);
  EXPECT_GE(metric(provider, "lumen.pool.destroyed", "pool", "cache-redis"), 1);

  ASSERT_TRUE(server_.start());     // empty: no persistence
  EXPECT_EQ(a.get("k", fn), "v5");  // still inside the retry period: skipped
  EXPECT_EQ(a.stats().shared_errors, 1u);
  clock.advance(1s);
  EXPECT_EQ(a.get("k", fn), "v6");  // tried again: a miss in the new server, stored there
  EXPECT_EQ(a.get("k", fn), "v6");  // served by Redis again
  EXPECT_EQ(upstream, 6);
  EXPECT_EQ(a.stats().shared_errors, 1u);
  EXPECT_EQ(redis.get("test:deg:k"), "v6");
}

// The usage examples at the top of redis_client.hpp, result_cache.hpp and redis_cache.hpp.
TEST_F(RedisTest, HeaderExamplesRun) {
  auto memory = std::make_shared<exporters::InMemorySpanExporter>();
  trace::TracerProvider tracers{
      {.processor = std::make_unique<trace::SimpleSpanProcessor>(memory)}};
  trace::Tracer& tracer = tracers.tracer("example");
  metrics::MeterProvider meters;
  metrics::Meter& meter = meters.meter("example");
  {
    // redis_client.hpp (the URL points at the test's server instead of :secret@...:6379/2)
    lumen::perf::RedisClient redis(
        {.url = server_.url() + "/2", .tracer = &tracer, .meter = &meter});
    redis.set("session:42", "payload", std::chrono::seconds(30));
    std::optional<std::string> v = redis.get("session:42");
    redis.del_matching("session:*");
    EXPECT_EQ(v, "payload");
    EXPECT_EQ(redis.get("session:42"), std::nullopt);
  }
  {
    // result_cache.hpp
    lumen::perf::RedisClient redis({.url = server_.url()});
    lumen::perf::RedisResultCache shared(redis, "lumen:analyze:");
    lumen::perf::RequestCoalescer<std::string> analyses({.name = "analyze",
                                                         .ttl = std::chrono::seconds(5),
                                                         .shared_cache = &shared,
                                                         .shared_ttl = std::chrono::minutes(10)});
    EXPECT_EQ(analyses.get("img", [] { return std::string("r"); }), "r");
    EXPECT_EQ(redis.get("lumen:analyze:img"), "r");
  }
  {
    // redis_cache.hpp: the client reads REDIS_URL
    ::setenv("REDIS_URL", server_.url().c_str(), 1);
    lumen::perf::RedisClient redis;
    ::unsetenv("REDIS_URL");
    lumen::perf::RedisResultCache shared(redis, "lumen:analyze:");
    lumen::perf::RequestCoalescer<std::string> c({.ttl = 5s, .shared_cache = &shared});
    EXPECT_EQ(c.get("img", [] { return std::string("other"); }), "r");  // shared with the above
  }
}

}  // namespace
}  // namespace lumen::perf
