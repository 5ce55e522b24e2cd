#include "perf/ticking_clock.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "eventually.hpp"
#include "lumen/core/clock.hpp"
#include "thread_names.hpp"

namespace lumen::perf::detail {
namespace {

using lumen::testing::eventually;

TEST(TickingClock, MovesWithoutReadersAndNeverGoesBack) {
  const std::uint64_t first = ticking_monotonic_ns();
  std::uint64_t previous = first;
  // Only the ticker can move it: reading it does not.
  EXPECT_TRUE(eventually(
      [&] {
        const std::uint64_t now = ticking_monotonic_ns();
        EXPECT_GE(now, previous);
        previous = now;
        return now >= first + 100'000'000ULL;
      },
      std::chrono::seconds(5)));
}

TEST(TickingClock, LagsTheMonotonicClockByAboutATick) {
  const auto tick = static_cast<std::uint64_t>(std::chrono::nanoseconds(kClockTick).count());
  // A loaded machine (sanitizers, parallel tests) can delay one wake-up; an idle moment cannot.
  EXPECT_TRUE(eventually(
      [&] {
        const std::uint64_t ticking = ticking_monotonic_ns();
        const std::uint64_t real = monotonic_ns();
        return real >= ticking && real - ticking <= 2 * tick;
      },
      std::chrono::seconds(5)));
}

int ticking_threads() {
  return lumen::testing::threads_named("lumen-clock");
}

// Runs in a process of its own (see below): registered before the clock is first read, this
// handler runs after the ticker's owner is destroyed at exit, and finds the ticking thread gone.
void exit_with_thread_count_status() {
  // A joined thread may stay listed for a moment after its join returns.
  const bool gone = eventually([] { return ticking_threads() == 0; }, std::chrono::seconds(5));
  ::_exit(gone ? 0 : 3);
}

constexpr const char* kExitChildVariable = "LUMEN_TICKING_CLOCK_EXIT_CHILD";

TEST(TickingClock, ItsThreadIsStoppedAtExit) {
  if (std::getenv(kExitChildVariable) != nullptr) {
    std::atexit(exit_with_thread_count_status);
    (void)ticking_monotonic_ns();
    // The ticker names itself when it starts running.
    if (!eventually([] { return ticking_threads() == 1; }, std::chrono::seconds(5))) ::_exit(2);
    std::exit(0);
  }
  // A fresh process, so that the ticker starts after the handler is registered.
  std::string self(4096, '\0');
  const ssize_t length = ::readlink("/proc/self/exe", self.data(), self.size() - 1);
  ASSERT_GT(length, 0);
  self.resize(static_cast<std::size_t>(length));
  std::string filter = "--gtest_filter=TickingClock.ItsThreadIsStoppedAtExit";
  std::string variable = std::string(kExitChildVariable) + "=1";
  char* argv[] = {self.data(), filter.data(), nullptr};
  char* envp[] = {variable.data(), nullptr};
  pid_t pid = 0;
  ASSERT_EQ(::posix_spawn(&pid, self.c_str(), nullptr, nullptr, argv, envp), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "2: no ticking thread started; 3: it outlived exit";
}

}  // namespace
}  // namespace lumen::perf::detail
