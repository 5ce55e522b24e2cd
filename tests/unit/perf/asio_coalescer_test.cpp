// async_get: the coalescer from Boost.Asio coroutines on one io_context.
#include "lumen/perf/asio_coalescer.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "lumen/core/clock.hpp"
#include "lumen/export/memory_exporter.hpp"
#include "lumen/trace/tracer_provider.hpp"
#include "traced.hpp"

namespace lumen::perf {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(asio::use_awaitable);
}

std::vector<trace::SpanData> named(const std::vector<trace::SpanData>& spans,
                                   std::string_view name) {
  std::vector<trace::SpanData> out;
  for (const auto& s : spans) {
    if (s.name == name) out.push_back(s);
  }
  return out;
}

TEST(AsioCoalescer, CoroutinesOnOneKeyShareOneExecutionAndOneTraceParent) {
  lumen::testing::Traced t;
  RequestCoalescer<int> c({.ttl = 0s, .tracer = &t.tracer});
  asio::io_context io;
  std::atomic<int> runs{0};
  std::vector<int> results;
  trace::Span request = t.tracer.start("request");
  const Context parent = Context().with_span(request.context());
  auto upstream = [&](const Context& ctx) -> asio::awaitable<int> {
    ++runs;
    trace::Span span = t.tracer.start("upstream", {.parent = ctx});
    co_await sleep_for(20ms);  // every other coroutine arrives while this one is suspended
    co_return 42;
  };
  for (int i = 0; i < 5; ++i) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          results.push_back(co_await async_get(c, "k", upstream, parent));
        },
        asio::detached);
  }
  io.run();
  request.end();

  EXPECT_EQ(runs.load(), 1);
  EXPECT_EQ(results, std::vector<int>(5, 42));
  EXPECT_EQ(c.stats().executions, 1u);
  EXPECT_EQ(c.stats().coalesced, 4u);

  const auto spans = t.memory->spans();
  const auto exec = named(spans, "coalescer.execute");
  const auto work = named(spans, "upstream");
  const auto waits = named(spans, "coalescer.wait");
  ASSERT_EQ(exec.size(), 1u);
  ASSERT_EQ(work.size(), 1u);
  ASSERT_EQ(waits.size(), 4u);
  EXPECT_EQ(exec[0].parent_span_id, request.context().span_id());
  EXPECT_EQ(work[0].parent_span_id, exec[0].context.span_id());
  EXPECT_EQ(work[0].context.trace_id(), request.context().trace_id());
  for (const auto& w : waits) {
    EXPECT_EQ(w.parent_span_id, request.context().span_id());
    ASSERT_EQ(w.links.size(), 1u);
    EXPECT_EQ(w.links[0].context.span_id(), exec[0].context.span_id());
  }
}

TEST(AsioCoalescer, ErrorReachesEveryCoroutineAndIsNotCached) {
  RequestCoalescer<int> c({.ttl = 60s});
  asio::io_context io;
  int failures = 0;
  auto failing = [&]() -> asio::awaitable<int> {
    co_await sleep_for(10ms);
    throw std::runtime_error("upstream down");
  };
  for (int i = 0; i < 3; ++i) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          try {
            (void)co_await async_get(c, "k", failing);
          } catch (const std::runtime_error& e) {
            if (std::string(e.what()) == "upstream down") ++failures;
          }
        },
        asio::detached);
  }
  io.run();
  EXPECT_EQ(failures, 3);
  EXPECT_EQ(c.stats().executions, 1u);
  EXPECT_EQ(c.stats().entries, 0u);
  EXPECT_EQ(c.get("k", [] { return 7; }), 7);
}

TEST(AsioCoalescer, PlainFunctionsRunInlineAndHitsComeFromTheCache) {
  RequestCoalescer<std::string> c({.ttl = 60s});
  asio::io_context io;
  std::vector<std::string> got;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        got.push_back(co_await async_get(c, "k", [] { return std::string("v"); }));
        got.push_back(co_await async_get(c, "k", [] { return std::string("other"); }));
      },
      asio::detached);
  io.run();
  EXPECT_EQ(got, (std::vector<std::string>{"v", "v"}));
  EXPECT_EQ(c.stats().hits, 1u);
}

TEST(AsioCoalescer, WaiterTimesOutWithoutCancellingTheLeader) {
  RequestCoalescer<int> c({.ttl = 60s, .wait_timeout = 10ms});
  asio::io_context io;
  int leader_result = 0;
  bool waiter_timed_out = false;
  auto slow = [&]() -> asio::awaitable<int> {
    co_await sleep_for(100ms);
    co_return 5;
  };
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { leader_result = co_await async_get(c, "k", slow); },
      asio::detached);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        try {
          (void)co_await async_get(c, "k", slow);
        } catch (const CoalescerTimeout&) {
          waiter_timed_out = true;
        }
      },
      asio::detached);
  const auto start = std::chrono::steady_clock::now();
  io.run();
  EXPECT_TRUE(waiter_timed_out);
  EXPECT_EQ(leader_result, 5);
  EXPECT_EQ(c.stats().wait_timeouts, 1u);
  EXPECT_EQ(c.get("k", [] { return -1; }), 5);  // the leader's result was cached
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(AsioCoalescer, StaleValueIsServedWhileADetachedCoroutineRefreshes) {
  ManualClock clock;
  RequestCoalescer<int> c({.ttl = 10s, .clock = &clock, .stale_grace = 5s});
  asio::io_context io;
  std::vector<int> got;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        got.push_back(co_await async_get(c, "k", [] { return 1; }));
        clock.advance(11s);
        got.push_back(co_await async_get(c, "k", []() -> asio::awaitable<int> {
          co_await sleep_for(5ms);
          co_return 2;
        }));
      },
      asio::detached);
  io.run();  // returns once the refresh coroutine has finished too
  EXPECT_EQ(got, (std::vector<int>{1, 1}));
  EXPECT_EQ(c.get("k", [] { return -1; }), 2);
  EXPECT_EQ(c.stats().stale_hits, 1u);
}

// The usage example at the top of asio_coalescer.hpp, with a stand-in database.
struct Db {
  asio::awaitable<std::string> async_load(const std::string& user) {
    co_return "profile of " + user;
  }
};

TEST(AsioCoalescer, HeaderExampleRuns) {
  lumen::testing::Traced t;
  trace::Tracer& tracer = t.tracer;
  Db db;
  lumen::perf::RequestCoalescer<std::string> profiles({.ttl = 30s, .tracer = &tracer});
  std::string got;
  auto handle = [&](std::string user) -> asio::awaitable<void> {
    std::string p = co_await lumen::perf::async_get(
        profiles, "user:" + user,
        [&](const lumen::Context& ctx) -> boost::asio::awaitable<std::string> {
          auto span = tracer.start("db.load", {.parent = ctx});  // joins the caller's trace
          co_return co_await db.async_load(user);
        });
    got = p;
  };
  asio::io_context io;
  asio::co_spawn(io, handle("ada"), asio::detached);
  io.run();
  EXPECT_EQ(got, "profile of ada");
  EXPECT_EQ(named(t.memory->spans(), "db.load").size(), 1u);
}

}  // namespace
}  // namespace lumen::perf
