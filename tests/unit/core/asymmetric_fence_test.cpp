// The asymmetric fences against the store-then-load reordering they exist to forbid: two threads
// each store to one variable and load the other, over and over, and never both load the old value.
// With a compiler barrier on both sides (no heavy_fence) this machine's store buffer lets that
// happen within a few thousand rounds; the test checks it does with that pair, so that a pass with
// the real pair means something. Under AddressSanitizer and ThreadSanitizer the instrumented
// accesses never showed the reordering (none in two million rounds), so both tests skip there: a
// pass would show nothing.
#include "core/asymmetric_fence.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "sanitizers.hpp"

namespace lumen::detail {
namespace {

struct Outcome {
  int rounds = 0;
  int both_missed = 0;  // rounds where neither thread saw the other's store
};

// One round: both threads wait at the start line, then store and load. `rare_side_fence` runs on
// the thread that stores `theirs`. Stops after `max_rounds`, at the end of the budget, or at the
// tenth round where both missed.
template <typename Fence>
Outcome run_rounds(std::chrono::milliseconds budget, int max_rounds, Fence rare_side_fence) {
  constexpr int kEnoughMisses = 10;
  struct alignas(64) Padded {
    std::atomic<int> value{0};
  };
  Padded mine, theirs;
  std::atomic<int> round{0};
  std::atomic<int> frequent_done{0};
  std::atomic<int> frequent_saw{0};
  std::atomic<bool> stop{false};
  std::thread frequent([&] {
    for (int r = 1; !stop.load(std::memory_order_relaxed); ++r) {
      while (round.load(std::memory_order_acquire) < r) {
        if (stop.load(std::memory_order_relaxed)) return;
      }
      mine.value.store(r, std::memory_order_relaxed);
      light_fence();
      frequent_saw.store(theirs.value.load(std::memory_order_relaxed), std::memory_order_relaxed);
      frequent_done.store(r, std::memory_order_release);
    }
  });
  Outcome outcome;
  const auto end = std::chrono::steady_clock::now() + budget;
  for (int r = 1; r <= max_rounds && outcome.both_missed < kEnoughMisses &&
                  std::chrono::steady_clock::now() < end;
       ++r) {
    round.store(r, std::memory_order_release);
    theirs.value.store(r, std::memory_order_relaxed);
    rare_side_fence();
    const int rare_saw = mine.value.load(std::memory_order_relaxed);
    while (frequent_done.load(std::memory_order_acquire) < r) {
    }
    ++outcome.rounds;
    if (rare_saw < r && frequent_saw.load(std::memory_order_relaxed) < r) ++outcome.both_missed;
  }
  stop.store(true);
  frequent.join();
  return outcome;
}

// Why the rounds cannot show anything here, or null.
const char* cannot_show() {
  if (std::thread::hardware_concurrency() < 2) return "needs two CPUs to run the two sides at once";
  if (lumen::testing::kSanitized) return "the sanitizer's instrumented accesses do not reorder";
  return nullptr;
}

TEST(AsymmetricFence, WithoutTheHeavyFenceTheStoreBufferLetsBothSidesMissTheOther) {
  if (const char* why = cannot_show()) GTEST_SKIP() << why;
  const Outcome o = run_rounds(std::chrono::seconds(5), 2'000'000, [] { light_fence(); });
  EXPECT_GT(o.both_missed, 0) << "in " << o.rounds << " rounds";
}

TEST(AsymmetricFence, WithTheHeavyFenceOneSideAlwaysSeesTheOther) {
  if (const char* why = cannot_show()) GTEST_SKIP() << why;
  const Outcome o = run_rounds(std::chrono::seconds(3), 200'000, [] { heavy_fence(); });
  EXPECT_GT(o.rounds, 1000);
  EXPECT_EQ(o.both_missed, 0) << "in " << o.rounds << " rounds";
}

}  // namespace
}  // namespace lumen::detail
