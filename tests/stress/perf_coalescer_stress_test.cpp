// Races in the request coalescer: many callers of one key, and a mixed workload with
// invalidations, evictions and errors running at once. Meant for TSan as much as for the counts.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "lumen/core/clock.hpp"
#include "lumen/perf/request_coalescer.hpp"

namespace lumen::perf {
namespace {

using namespace std::chrono_literals;

TEST(CoalescerStress, ThousandConcurrentCallersOfOneKeyCauseExactlyOneExecution) {
  constexpr int kCallers = 1000;
  // No cache: a caller arriving after the execution would run it again, so one execution proves
  // that every caller joined the single flight.
  RequestCoalescer<std::string> c({.ttl = 0s, .wait_timeout = 60s});
  std::atomic<int> runs{0};
  std::atomic<bool> gave_up{false};
  std::atomic<int> matching{0};
  std::vector<std::thread> threads;
  threads.reserve(kCallers);
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&] {
      const std::string v = c.get("the-key", [&] {
        runs.fetch_add(1);
        // Hold the flight open until every other caller is waiting on it.
        const auto deadline = std::chrono::steady_clock::now() + 60s;
        while (c.stats().coalesced < kCallers - 1) {
          if (std::chrono::steady_clock::now() > deadline) {
            gave_up = true;
            break;
          }
          std::this_thread::sleep_for(1ms);
        }
        return std::string("value");
      });
      if (v == "value") matching.fetch_add(1);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(gave_up.load());
  EXPECT_EQ(runs.load(), 1);
  EXPECT_EQ(matching.load(), kCallers);
  const CoalescerStats st = c.stats();
  EXPECT_EQ(st.executions, 1u);
  EXPECT_EQ(st.coalesced, static_cast<std::uint64_t>(kCallers - 1));
  EXPECT_EQ(st.in_flight, 0u);
}

TEST(CoalescerStress, MixedKeysInvalidationsAndErrorsKeepEveryAnswerCorrect) {
  RequestCoalescer<int> c({.ttl = 50ms, .max_pending = 8, .max_entries = 32, .shards = 4});
  constexpr int kThreads = 8;
  constexpr int kCalls = 3000;
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0};
  std::atomic<int> errors_seen{0};
  std::thread invalidator([&] {
    int i = 0;
    while (!stop.load()) {
      switch (i++ % 4) {
        case 0:
          (void)c.invalidate();
          break;
        case 1:
          (void)c.invalidate_matching("^k1");
          break;
        case 2:
          (void)c.invalidate_key("k7");
          break;
        default:
          (void)c.purge_expired();
          break;
      }
      (void)c.stats();
      std::this_thread::yield();
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        const int k = (i * 7 + t) % 64;
        try {
          const int v = c.get("k" + std::to_string(k), [k]() -> int {
            if (k % 13 == 0) throw std::runtime_error("bad key");
            return k * 10;
          });
          if (v != k * 10) wrong.fetch_add(1);
        } catch (const std::runtime_error&) {
          if (k % 13 != 0) wrong.fetch_add(1);
          errors_seen.fetch_add(1);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  stop = true;
  invalidator.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(errors_seen.load(), 0);
  const CoalescerStats st = c.stats();
  EXPECT_EQ(st.in_flight, 0u);
  EXPECT_LE(st.entries, 32u);
  EXPECT_EQ(st.executions + st.coalesced + st.hits + st.bypasses,
            static_cast<std::uint64_t>(kThreads) * kCalls);
}

TEST(CoalescerStress, StaleWhileRevalidateUnderConcurrentCallersAndAMovingClock) {
  ManualClock clock;
  RequestCoalescer<int> c({.ttl = 10ms,
                           .max_pending = 4,
                           .max_entries = 16,
                           .shards = 2,
                           .clock = &clock,
                           .stale_grace = 20ms});
  constexpr int kThreads = 6;
  constexpr int kCalls = 2000;
  auto version = std::make_shared<std::atomic<int>>(0);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        // The callers move the clock: entries go fresh -> stale -> gone over and over.
        if (i % 10 == 0) clock.advance(1ms);
        const int key = (i + t) % 8;
        try {
          // Captures by value: a background refresh may run this after get() returned.
          const int v = c.get("k" + std::to_string(key), [version, key] {
            if ((version->fetch_add(1) & 15) == 0) throw std::runtime_error("flaky");
            return key * 1000;
          });
          if (v != key * 1000) wrong.fetch_add(1);
        } catch (const std::runtime_error&) {
          // a caller running the function itself may see its error
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  const CoalescerStats st = c.stats();
  EXPECT_GT(st.stale_hits, 0u);
  EXPECT_LE(st.entries, 16u);
}

}  // namespace
}  // namespace lumen::perf
