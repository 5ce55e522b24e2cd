// BackgroundWorker: wakes coalesce, ticks come without wakes, stop returns by its deadline when a
// step hangs (and the step is never called again), and a fork child gets a working worker.
#include "core/background_worker.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include <gtest/gtest.h>

#include "eventually.hpp"
#include "fork_child.hpp"
#include "lumen/core/clock.hpp"

namespace lumen::detail {
namespace {

using namespace std::chrono_literals;
using lumen::testing::eventually;
using lumen::testing::run_in_child;
using SteadyClock = std::chrono::steady_clock;

// What the step saw, shared with the worker's thread so that it may outlive the worker.
struct Probe {
  std::atomic<int> wakes{0};
  std::atomic<int> ticks{0};
  std::atomic<int> stops{0};
  std::atomic<int> steps_finished{0};

  // A gate the first kWake step waits at until released.
  std::mutex mutex;
  std::condition_variable cv;
  bool hold_first_wake = false;
  bool in_held_step = false;
  bool released = false;

  void record(WorkerEvent event) {
    if (event == WorkerEvent::kWake && wakes.fetch_add(1) == 0) {
      std::unique_lock lock(mutex);
      if (hold_first_wake) {
        in_held_step = true;
        cv.notify_all();
        cv.wait(lock, [&] { return released; });
      }
    }
    if (event == WorkerEvent::kTick) ticks.fetch_add(1);
    if (event == WorkerEvent::kStop) stops.fetch_add(1);
    steps_finished.fetch_add(1);
  }
  void wait_until_held() {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return in_held_step; });
  }
  void release() {
    std::lock_guard lock(mutex);
    released = true;
    cv.notify_all();
  }
};

BackgroundWorker::Step step_for(const std::shared_ptr<Probe>& probe) {
  return [probe](WorkerEvent event) { probe->record(event); };
}

TEST(BackgroundWorker, CoalescesWakesThatArriveWhileAStepRuns) {
  auto probe = std::make_shared<Probe>();
  probe->hold_first_wake = true;
  BackgroundWorker worker({.name = "test-coalesce"}, step_for(probe));
  ASSERT_TRUE(worker.start());
  worker.wake();
  probe->wait_until_held();
  for (int i = 0; i < 100; ++i) worker.wake();
  probe->release();
  ASSERT_TRUE(eventually([&] { return probe->wakes.load() == 2; }));
  EXPECT_TRUE(worker.stop(Deadline::max()));
  EXPECT_EQ(probe->wakes.load(), 2);  // the first, and one for the hundred that came during it
  EXPECT_EQ(probe->stops.load(), 1);
}

TEST(BackgroundWorker, TicksOnItsPeriodWithoutWakes) {
  auto probe = std::make_shared<Probe>();
  BackgroundWorker worker({.name = "test-tick", .period = 1ms}, step_for(probe));
  ASSERT_TRUE(worker.start());
  EXPECT_TRUE(eventually([&] { return probe->ticks.load() >= 3; }));
  EXPECT_TRUE(worker.stop(Deadline::max()));
  EXPECT_EQ(probe->wakes.load(), 0);
}

TEST(BackgroundWorker, TicksExactlyWhenItsClockHasMovedByThePeriod) {
  ManualClock clock;
  auto probe = std::make_shared<Probe>();
  BackgroundWorker worker({.name = "test-manual", .period = 5s, .clock = &clock}, step_for(probe));
  ASSERT_TRUE(worker.start());
  for (int tick = 1; tick <= 3; ++tick) {
    ASSERT_TRUE(clock.await_waiters(1));  // waiting for its next tick
    clock.advance(5s - 1ns);
    EXPECT_EQ(probe->ticks.load(), tick - 1);
    clock.advance(1ns);
    ASSERT_TRUE(eventually([&] { return probe->ticks.load() == tick; }));
  }
  EXPECT_TRUE(worker.stop(Deadline::max()));
  EXPECT_EQ(probe->wakes.load(), 0);
}

TEST(BackgroundWorker, StopReturnsFalseExactlyAtItsDeadlineOnItsClock) {
  ManualClock clock;
  auto probe = std::make_shared<Probe>();
  probe->hold_first_wake = true;
  std::optional<BackgroundWorker> worker;
  worker.emplace(BackgroundWorkerOptions{.name = "test-deadline", .clock = &clock},
                 step_for(probe));
  worker->wake();
  probe->wait_until_held();
  std::promise<bool> stopped;
  std::thread stopper([&] { stopped.set_value(worker->stop(clock.now() + 2s)); });
  auto result = stopped.get_future();
  ASSERT_TRUE(clock.await_waiters(1));
  clock.advance(2s - 1ns);
  EXPECT_EQ(result.wait_for(0s), std::future_status::timeout);
  clock.advance(1ns);
  EXPECT_FALSE(result.get());
  stopper.join();
  worker.reset();  // the abandoned thread holds the step, and with it the probe, until it ends
  probe->release();
  EXPECT_TRUE(eventually([&] { return probe.use_count() == 1; }));
}

TEST(BackgroundWorker, WakeStartsAWorkerThatWasNotStarted) {
  auto probe = std::make_shared<Probe>();
  BackgroundWorker worker({}, step_for(probe));
  worker.wake();
  EXPECT_TRUE(eventually([&] { return probe->wakes.load() == 1; }));
}

TEST(BackgroundWorker, HasWorkRunsAStepWithoutAWakeAndIdleTellsWhenItWaits) {
  auto probe = std::make_shared<Probe>();
  std::atomic<bool> work{true};
  BackgroundWorker worker({.has_work = [&work] { return work.exchange(false); }}, step_for(probe));
  ASSERT_TRUE(worker.start());
  EXPECT_TRUE(eventually([&] { return probe->wakes.load() == 1; }));
  EXPECT_TRUE(eventually([&] { return worker.idle(); }));
}

TEST(BackgroundWorker, StopMakesOneLastStepAndJoins) {
  auto probe = std::make_shared<Probe>();
  BackgroundWorker worker({}, step_for(probe));
  ASSERT_TRUE(worker.start());
  EXPECT_TRUE(worker.stop(SteadyClock::now() + 30s));
  EXPECT_EQ(probe->stops.load(), 1);
  EXPECT_TRUE(worker.stopping());
  EXPECT_TRUE(worker.stop(SteadyClock::now()));  // already ended
  EXPECT_TRUE(worker.start());                   // refused quietly: no thread, no step
  worker.wake();
  EXPECT_EQ(probe->steps_finished.load(), 1);
}

TEST(BackgroundWorker, StopOfAWorkerNeverStartedReturnsAtOnce) {
  auto probe = std::make_shared<Probe>();
  BackgroundWorker worker({}, step_for(probe));
  EXPECT_TRUE(worker.stop(SteadyClock::now()));
  EXPECT_EQ(probe->steps_finished.load(), 0);
}

TEST(BackgroundWorker, StopReturnsAtItsDeadlineWhenAStepHangsAndNeverStepsAgain) {
  auto probe = std::make_shared<Probe>();
  probe->hold_first_wake = true;
  {
    BackgroundWorker worker({.name = "test-hang"}, step_for(probe));
    worker.wake();
    probe->wait_until_held();
    // The deadline has passed already: the outcome does not depend on how fast the machine is.
    EXPECT_FALSE(worker.stop(SteadyClock::now()));
    EXPECT_FALSE(worker.stop(SteadyClock::now()));
  }  // the worker is destroyed while its thread is still inside the step
  probe->release();
  ASSERT_TRUE(eventually([&] { return probe->steps_finished.load() == 1; }));
  // The thread ends without the kStop step: its owner had given up on it.
  EXPECT_TRUE(eventually([&] { return probe.use_count() == 1; }));
  EXPECT_EQ(probe->stops.load(), 0);
}

// The system clock, with a count of the reads made once its owner has said it is gone.
class WatchedClock final : public Clock {
 public:
  std::uint64_t wall_ns() const noexcept override { return read().wall_ns(); }
  std::uint64_t monotonic_ns() const noexcept override { return read().monotonic_ns(); }
  void sleep_until(TimePoint deadline) const override { read().sleep_until(deadline); }
  void go() { gone_ = true; }
  int reads_after_gone() const { return reads_after_gone_.load(); }

 private:
  bool wait_until_impl(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                       TimePoint deadline, bool (*ready)(void*), void* context) const override {
    return read().wait_until(lock, cv, deadline, [&] { return ready(context); });
  }
  const Clock& read() const {
    if (gone_.load()) reads_after_gone_.fetch_add(1);
    return SystemClock::instance();
  }
  std::atomic<bool> gone_{false};
  mutable std::atomic<int> reads_after_gone_{0};
};

TEST(BackgroundWorker, AnAbandonedThreadNeverReadsTheClockItWasGiven) {
  WatchedClock clock;
  auto probe = std::make_shared<Probe>();
  probe->hold_first_wake = true;
  {
    BackgroundWorker worker({.name = "test-abandon", .period = 1h, .clock = &clock},
                            step_for(probe));
    worker.wake();
    probe->wait_until_held();
    EXPECT_FALSE(worker.stop(SteadyClock::now()));
  }
  clock.go();  // its owner may destroy it now, as the worker's owner is gone
  probe->release();
  // The thread has ended once it no longer holds the step, and with it the probe.
  ASSERT_TRUE(eventually([&] { return probe.use_count() == 1; }));
  EXPECT_EQ(clock.reads_after_gone(), 0);
}

TEST(BackgroundWorker, StopCalledFromTheStepReturnsAtOnceAndNoStepFollows) {
  auto probe = std::make_shared<Probe>();
  auto self = std::make_shared<std::atomic<BackgroundWorker*>>(nullptr);
  auto result = std::make_shared<std::atomic<int>>(-1);
  BackgroundWorker worker({}, [probe, self, result](WorkerEvent event) {
    probe->record(event);
    if (event == WorkerEvent::kWake) result->store(self->load()->stop(Deadline::max()) ? 1 : 0);
  });
  self->store(&worker);
  worker.wake();
  ASSERT_TRUE(eventually([&] { return result->load() == 0; }));
  // The thread ends without a kStop step.
  EXPECT_TRUE(eventually([&] { return worker.stop(SteadyClock::now()); }));
  EXPECT_EQ(probe->stops.load(), 0);
}

// Named ForkSafety so that the ThreadSanitizer run, which cannot fork, leaves them out.
TEST(ForkSafety, BackgroundWorkerRestartsInTheChild) {
  auto probe = std::make_shared<Probe>();
  BackgroundWorker worker({.name = "test-fork"}, step_for(probe));
  ASSERT_TRUE(worker.start());
  worker.wake();
  ASSERT_TRUE(eventually([&] { return probe->wakes.load() == 1; }));
  const int code = run_in_child([&] {
                     worker.wake();
                     if (!eventually([&] { return probe->wakes.load() == 2; }, 20s)) return 2;
                     if (!worker.stop(SteadyClock::now() + 20s)) return 3;
                     return probe->stops.load() == 1 ? 0 : 4;
                   }).exit_code;
  EXPECT_EQ(code, 0);
  // The parent's worker is unchanged.
  worker.wake();
  EXPECT_TRUE(eventually([&] { return probe->wakes.load() == 2; }));
}

TEST(ForkSafety, BackgroundWorkerWithoutRestartStartsInTheChildWhenWoken) {
  auto probe = std::make_shared<Probe>();
  auto stopped_probe = std::make_shared<Probe>();
  BackgroundWorker woken({.period = 1ms, .restart_in_child = false}, step_for(probe));
  BackgroundWorker stopped({.period = 1ms, .restart_in_child = false}, step_for(stopped_probe));
  ASSERT_TRUE(woken.start());
  ASSERT_TRUE(stopped.start());
  // Both threads past their start before the fork: under ASan a starting thread allocates, and a
  // fork then can leave the child an allocator lock that no thread of the child will release.
  ASSERT_TRUE(
      eventually([&] { return probe->ticks.load() >= 1 && stopped_probe->ticks.load() >= 1; }));
  const int code = run_in_child([&] {
                     // The child has no thread for `stopped`: stop has nothing to wait for or to
                     // join.
                     if (!stopped.stop(SteadyClock::now())) return 2;
                     if (stopped_probe->stops.load() != 0) return 3;
                     woken.wake();
                     if (!eventually([&] { return probe->wakes.load() == 1; }, 20s)) return 4;
                     return woken.stop(SteadyClock::now() + 20s) ? 0 : 5;
                   }).exit_code;
  EXPECT_EQ(code, 0);
}

}  // namespace
}  // namespace lumen::detail
