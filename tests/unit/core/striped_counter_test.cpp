// StripedCounter: exact totals from many threads, reset, and threads spread over the stripes.
#include "lumen/core/internal/striped_counter.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

namespace lumen::detail {
namespace {

TEST(StripedCounter, AddsFromManyThreadsExactly) {
  StripedCounter counter;
  constexpr int kThreads = 6;  // more than the stripes: some threads share one
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

TEST(StripedCounter, ConsecutiveNewThreadsGetDifferentStripes) {
  // The assignment is round robin, so any kStripes threads that ask one after the other cover
  // every stripe once.
  std::set<std::size_t> seen;
  for (std::size_t i = 0; i < kStripes; ++i) {
    std::thread([&seen] { seen.insert(stripe()); }).join();
  }
  EXPECT_EQ(seen.size(), kStripes);
  for (std::size_t s : seen) EXPECT_LT(s, kStripes);
}

}  // namespace
}  // namespace lumen::detail
