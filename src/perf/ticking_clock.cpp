#include "perf/ticking_clock.hpp"

#include <atomic>
#include <mutex>
#include <new>

#include "core/background_worker.hpp"
#include "lumen/core/clock.hpp"
#include "lumen/core/fork_safety.hpp"
#include "lumen/core/internal/mutex.hpp"

namespace lumen::perf::detail {
namespace {

using lumen::detail::BackgroundWorker;
using lumen::detail::WorkerEvent;

std::atomic<std::uint64_t> g_now{0};
// Whether g_now is kept current (false before the first read, in a fork child until its first
// read, and once the ticker has stopped at exit).
std::atomic<bool> g_ticking{false};

// Guards the ticker's start and its end at exit. Trivially destructible, so a read racing with
// exit still finds it.
lumen::internal::Mutex g_ticker_mutex;
bool g_ticker_gone LUMEN_GUARDED_BY(g_ticker_mutex) = false;

class ForgetTickerInChild final : public ForkAware {
 public:
  void after_fork_in_child() noexcept override {
    g_ticking.store(false, std::memory_order_relaxed);
    // Another thread of the parent may have held it: that thread does not exist here.
    new (&g_ticker_mutex) lumen::internal::Mutex();
  }
};

// Owns the ticking thread. A function-local static, so that it is destroyed at exit: the thread is
// stopped and joined then, and never outlives the process's static state. A read after that falls
// back to clock_gettime.
struct Ticker {
  BackgroundWorker worker{
      {.name = "lumen-clock", .period = kClockTick, .restart_in_child = false},
      [](WorkerEvent) { g_now.store(monotonic_ns(), std::memory_order_relaxed); }};
  ~Ticker() {
    lumen::internal::MutexLock lock(g_ticker_mutex);
    g_ticker_gone = true;
    g_ticking.store(false, std::memory_order_relaxed);
    (void)worker.stop(Deadline::max());  // the step is one store: the join is immediate
  }
};

// Returns whether a ticker runs (this call's, or another thread's that won the race).
bool start_ticker() noexcept {
  // Registered before the mutex is first taken, so that a child never inherits it locked.
  static ForgetTickerInChild hook;
  static const bool registered = (ForkRegistry::add(&hook), true);
  (void)registered;
  lumen::internal::MutexLock lock(g_ticker_mutex);
  if (g_ticker_gone) return false;
  static Ticker ticker;
  if (g_ticking.load(std::memory_order_relaxed)) return true;
  if (!ticker.worker.start()) return false;
  // Published after the caller stored a current time, so a reader that sees it sees a current time.
  g_ticking.store(true, std::memory_order_release);
  return true;
}

}  // namespace

std::uint64_t ticking_monotonic_ns() noexcept {
  if (!g_ticking.load(std::memory_order_acquire)) {
    const std::uint64_t now = monotonic_ns();
    g_now.store(now, std::memory_order_relaxed);
    if (!start_ticker()) return now;
  }
  return g_now.load(std::memory_order_relaxed);
}

}  // namespace lumen::perf::detail
