// Races in async_get: coroutines on an io_context run by several threads, leaders finishing while
// waiters' timeouts fire. Meant for TSan as much as for the counts.
#include "lumen/perf/asio_coalescer.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace lumen::perf {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

asio::awaitable<int> slow_value(int v, std::chrono::microseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(asio::use_awaitable);
  co_return v;
}

// Runs `coroutines` callers of async_get on 3 keys over an io_context driven by 3 threads.
struct Outcome {
  int correct = 0;
  int wrong = 0;
  int timeouts = 0;
};
Outcome run(RequestCoalescer<int>& c, int coroutines, std::chrono::microseconds work) {
  asio::io_context io;
  std::atomic<int> correct{0};
  std::atomic<int> wrong{0};
  std::atomic<int> timeouts{0};
  for (int i = 0; i < coroutines; ++i) {
    const int key = i % 3;
    // Each coroutine on its own strand, as asio_coalescer.hpp asks for multi-threaded contexts.
    asio::co_spawn(
        asio::make_strand(io),
        [&, key]() -> asio::awaitable<void> {
          try {
            const int v = co_await async_get(c, "k" + std::to_string(key),
                                             [key, work] { return slow_value(key * 10, work); });
            (v == key * 10 ? correct : wrong).fetch_add(1);
          } catch (const CoalescerTimeout&) {
            timeouts.fetch_add(1);
          }
        },
        asio::detached);
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) threads.emplace_back([&] { io.run(); });
  for (auto& th : threads) th.join();
  return {correct.load(), wrong.load(), timeouts.load()};
}

TEST(AsioCoalescerStress, ManyCoroutinesOnAFewKeysAllGetTheirKeysValue) {
  RequestCoalescer<int> c({.ttl = 0s});
  const Outcome o = run(c, 600, 500us);
  EXPECT_EQ(o.correct, 600);
  EXPECT_EQ(o.wrong, 0);
  const CoalescerStats st = c.stats();
  EXPECT_EQ(st.executions + st.coalesced + st.bypasses, 600u);
  EXPECT_LT(st.executions, 600u);  // some coroutines shared an execution
  EXPECT_EQ(st.in_flight, 0u);
}

TEST(AsioCoalescerStress, TimeoutsRacingCompletionsResumeEachWaiterExactlyOnce) {
  RequestCoalescer<int> c({.ttl = 0s, .wait_timeout = 1ms});
  const Outcome o = run(c, 600, 1ms);
  // Every coroutine finished (io.run() returned) with exactly one outcome.
  EXPECT_EQ(o.correct + o.timeouts, 600);
  EXPECT_EQ(o.wrong, 0);
  EXPECT_EQ(static_cast<std::uint64_t>(o.timeouts), c.stats().wait_timeouts);
}

}  // namespace
}  // namespace lumen::perf
