// lumen::internal::Mutex, MutexLock and UniqueLock: they lock as the std types they wrap, and a
// UniqueLock's native() lock works with std::condition_variable and lumen::Clock::wait_until. The
// header's usage example is compiled here too. (That the analysis rejects an unlocked access is
// checked by the clang build of scripts/fuzz.sh, which builds with -Werror=thread-safety.)
#include "lumen/core/internal/mutex.hpp"

#include <chrono>
#include <condition_variable>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "lumen/core/clock.hpp"

namespace lumen::internal {
namespace {

// Whether another thread can take `mu` now (try_lock from the holder itself is undefined).
bool free_for_another_thread(Mutex& mu) {
  return std::async(std::launch::async,
                    [&] {
                      if (!mu.try_lock()) return false;
                      mu.unlock();
                      return true;
                    })
      .get();
}

TEST(Mutex, MutexLockHoldsItForItsScope) {
  Mutex mu;
  {
    MutexLock lock(mu);
    EXPECT_FALSE(free_for_another_thread(mu));
  }
  EXPECT_TRUE(free_for_another_thread(mu));
}

TEST(Mutex, UniqueLockReleasesAndTakesItAgain) {
  Mutex mu;
  UniqueLock lock(mu);
  EXPECT_TRUE(lock.native().owns_lock());
  EXPECT_FALSE(free_for_another_thread(mu));
  lock.unlock();
  EXPECT_FALSE(lock.native().owns_lock());
  EXPECT_TRUE(free_for_another_thread(mu));
  lock.lock();
  EXPECT_FALSE(free_for_another_thread(mu));
}

TEST(Mutex, UniqueLockEndsItsScopeReleasedAfterAnUnlock) {
  Mutex mu;
  {
    UniqueLock lock(mu);
    lock.unlock();
  }
  EXPECT_TRUE(free_for_another_thread(mu));
}

// The header's example: a guarded flag, set under MutexLock and waited for through native().
TEST(Mutex, ConditionVariableWaitsThroughNative) {
  struct Signal {
    Mutex mu;
    std::condition_variable cv;
    bool ready LUMEN_GUARDED_BY(mu) = false;
  } s;

  std::thread setter([&] {
    {
      MutexLock lock(s.mu);
      s.ready = true;
    }
    s.cv.notify_all();
  });
  {
    UniqueLock lock(s.mu);
    s.cv.wait(lock.native(), [&]() LUMEN_REQUIRES(s.mu) { return s.ready; });
    EXPECT_TRUE(s.ready);
    EXPECT_TRUE(lock.native().owns_lock());
  }
  setter.join();
}

TEST(Mutex, ClockWaitUntilTakesNative) {
  Mutex mu;
  std::condition_variable cv;
  const Clock& clock = SystemClock::instance();
  const Clock::TimePoint past = clock.now() - std::chrono::seconds(1);
  UniqueLock lock(mu);
  // The deadline has passed: returns the predicate at once, with the lock held again.
  EXPECT_FALSE(clock.wait_until(lock.native(), cv, past, [] { return false; }));
  EXPECT_TRUE(clock.wait_until(lock.native(), cv, past, [] { return true; }));
  EXPECT_TRUE(lock.native().owns_lock());
}

}  // namespace
}  // namespace lumen::internal
