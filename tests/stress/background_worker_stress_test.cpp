// BackgroundWorker under contention: wakes from many threads while the worker ticks, and stops
// whose deadline has passed while a step runs. Run it under ASan and TSan: a thread left behind
// by a timed-out stop must touch only the state it shares, never the destroyed worker.
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/background_worker.hpp"
#include "eventually.hpp"

namespace lumen::detail {
namespace {

using namespace std::chrono_literals;
using lumen::testing::eventually;

struct Counts {
  std::atomic<int> steps{0};
  std::atomic<int> stops{0};
};

TEST(BackgroundWorkerStress, WakesFromManyThreadsAndStopsThatTimeOutTouchNoFreedState) {
  constexpr int kRounds = 100;
  constexpr int kWakers = 4;
  std::vector<std::weak_ptr<Counts>> left;
  int timed_out = 0;
  for (int round = 0; round < kRounds; ++round) {
    auto counts = std::make_shared<Counts>();
    left.push_back(counts);
    {
      BackgroundWorker worker({.name = "stress-worker", .period = 50us},
                              [counts](WorkerEvent event) {
                                counts->steps.fetch_add(1);
                                if (event == WorkerEvent::kStop) counts->stops.fetch_add(1);
                                // Long enough that some stops below find a step running.
                                std::this_thread::sleep_for(20us);
                              });
      ASSERT_TRUE(worker.start());
      std::vector<std::thread> wakers;
      for (int w = 0; w < kWakers; ++w) {
        wakers.emplace_back([&] {
          for (int i = 0; i < 500; ++i) worker.wake();
        });
      }
      for (auto& t : wakers) t.join();
      if (!worker.stop(std::chrono::steady_clock::now())) ++timed_out;
      EXPECT_LE(counts->stops.load(), 1);
    }
  }
  // Every thread left behind ends and lets go of what it shared.
  EXPECT_TRUE(eventually(
      [&] {
        for (const auto& weak : left) {
          if (!weak.expired()) return false;
        }
        return true;
      },
      30s));
  RecordProperty("stops_timed_out", timed_out);
}

}  // namespace
}  // namespace lumen::detail
