// The resource pool under contention: never more than max_size resources alive, every lease
// returned, broken ones replaced. Meant for TSan as much as for the counts.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "lumen/perf/resource_pool.hpp"

namespace lumen::perf {
namespace {

std::atomic<int> g_alive{0};
std::atomic<int> g_peak{0};

struct Tracked {
  Tracked() {
    const int now = ++g_alive;
    int p = g_peak.load();
    while (now > p && !g_peak.compare_exchange_weak(p, now)) {
    }
  }
  Tracked(Tracked&&) noexcept : Tracked() {}
  Tracked(const Tracked&) = delete;
  ~Tracked() { --g_alive; }
  int uses = 0;
};

TEST(PoolStress, ContendedAcquireReleaseNeverExceedsMaxSizeAndLosesNoLease) {
  constexpr int kThreads = 8;
  constexpr int kIterations = 2000;
  {
    ResourcePool<Tracked> pool(
        [] { return Tracked(); },
        {.max_size = 3, .min_idle = 1, .acquire_timeout = std::chrono::seconds(30)},
        [](Tracked& t) { return t.uses < 50; });
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kIterations; ++i) {
          auto lease = pool.acquire();
          ++lease->uses;
          if ((i + t) % 97 == 0) lease.mark_broken();
        }
      });
    }
    for (auto& th : threads) th.join();
    const PoolStats st = pool.stats();
    EXPECT_EQ(st.in_use, 0u);
    EXPECT_EQ(st.waiters, 0u);
    EXPECT_EQ(st.acquired, static_cast<std::uint64_t>(kThreads) * kIterations);
    EXPECT_EQ(st.created - st.destroyed, st.idle);
    EXPECT_GT(st.destroyed, 0u);
  }
  // The move out of the factory's temporary briefly makes one extra object.
  EXPECT_LE(g_peak.load(), 3 + 1);
  EXPECT_EQ(g_alive.load(), 0);
}

}  // namespace
}  // namespace lumen::perf
