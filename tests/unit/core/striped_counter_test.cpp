// StripedCounter and the stripes it shares with the metric cells: exact totals from owners and
// sharers together, stripes owned by one thread each and given back when it exits.
#include "lumen/core/internal/striped_counter.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <barrier>
#include <set>
#include <thread>
#include <vector>

namespace lumen::detail {
namespace {

TEST(StripedCounter, AddsFromManyThreadsExactly) {
  StripedCounter counter;
  constexpr int kThreads = 6;  // more than the stripes: some threads own one, the rest share
  constexpr int kAdds = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&counter, t] {
      for (int i = 0; i < kAdds; ++i) counter.add(static_cast<std::uint64_t>(t + 1));
    });
  }
  for (auto& t : threads) t.join();
  // 1 + 2 + ... + 6 per round.
  EXPECT_EQ(counter.load(), std::uint64_t{kAdds} * 21);
  counter.reset();
  EXPECT_EQ(counter.load(), 0u);
  counter.add();
  EXPECT_EQ(counter.load(), 1u);
}

TEST(StripedCounter, ThreadsThatComeAndGoLoseNoAdd) {
  // Waves of short-lived threads: each wave's owners give their stripes back as they exit and the
  // next wave's take them over while the shared stripes keep being added to atomically.
  StripedCounter counter;
  constexpr int kWaves = 20;
  constexpr int kThreadsPerWave = kStripes + 2;
  constexpr int kAdds = 3000;
  for (int wave = 0; wave < kWaves; ++wave) {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreadsPerWave; ++t) {
      threads.emplace_back([&counter] {
        for (int i = 0; i < kAdds; ++i) counter.add();
      });
    }
    for (auto& t : threads) t.join();
  }
  EXPECT_EQ(counter.load(), std::uint64_t{kWaves} * kThreadsPerWave * kAdds);
}

// Asks `n` threads at once for their stripes (each holds on until all have asked) and returns them.
std::vector<ThreadStripe> stripes_of_concurrent_threads(std::size_t n) {
  std::vector<ThreadStripe> got(n);
  std::barrier all_asked(static_cast<std::ptrdiff_t>(n));
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < n; ++i) {
    threads.emplace_back([&got, &all_asked, i] {
      got[i] = thread_stripe();
      all_asked.arrive_and_wait();
    });
  }
  for (auto& t : threads) t.join();
  return got;
}

TEST(StripedCounter, EachOwnedStripeHasOneLiveThreadAndTheRestShareTheOthers) {
  // This thread may own a stripe already (an earlier test in this process): ask first.
  const ThreadStripe mine = thread_stripe();
  const std::size_t ownable = kOwnableStripes - (mine.owned ? 1 : 0);
  constexpr std::size_t kThreads = kStripes + 2;
  for (int round = 0; round < 3; ++round) {  // the stripes come back when the threads exit
    std::set<std::size_t> owned;
    std::set<std::size_t> shared;
    std::size_t sharing = 0;
    for (const ThreadStripe& s : stripes_of_concurrent_threads(kThreads)) {
      if (s.owned) {
        EXPECT_LT(s.index, kOwnableStripes);
        EXPECT_TRUE(owned.insert(s.index).second) << "stripe " << s.index << " has two owners";
        if (mine.owned) {
          EXPECT_NE(s.index, mine.index);
        }
      } else {
        EXPECT_GE(s.index, kOwnableStripes);
        EXPECT_LT(s.index, kStripes);
        shared.insert(s.index);
        ++sharing;
      }
    }
    EXPECT_EQ(owned.size(), ownable) << "round " << round;
    EXPECT_EQ(sharing, kThreads - ownable) << "round " << round;
    // The sharers are spread round robin over every shared stripe.
    EXPECT_EQ(shared.size(), std::min(sharing, kStripes - kOwnableStripes)) << "round " << round;
  }
}

}  // namespace
}  // namespace lumen::detail
