#include "core/background_worker.hpp"

#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <new>
#include <thread>
#include <utility>

#include "lumen/core/fork_safety.hpp"
#include "lumen/core/internal/mutex.hpp"

namespace lumen::detail {

struct BackgroundWorker::Shared final : ForkAware, std::enable_shared_from_this<Shared> {
  Shared(BackgroundWorkerOptions o, Step s)
      : options(std::move(o)), step(std::move(s)), clock(clock_or_system(options.clock)) {}

  const BackgroundWorkerOptions options;
  const Step step;
  const Clock& clock;

  // Set by wake() before it takes the mutex, so that a wake while one is pending takes no lock.
  std::atomic<bool> wake_pending{false};
  // Whether a thread was started in this process (a fork child has none until it starts one).
  std::atomic<bool> started{false};
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> idle{false};

  lumen::internal::Mutex mutex;
  std::condition_variable wake_cv;   // the thread waits here
  std::condition_variable ended_cv;  // stop() waits here
  bool ended LUMEN_GUARDED_BY(mutex) = false;
  // Set when stop() gave up waiting: the step's owner may be gone, so it is not called again.
  bool abandoned LUMEN_GUARDED_BY(mutex) = false;
  std::thread thread LUMEN_GUARDED_BY(mutex);

  bool start_locked() noexcept LUMEN_REQUIRES(mutex) {
    if (started.load(std::memory_order_relaxed) || stop_requested.load()) return true;
    try {
      thread = std::thread([self = shared_from_this()] { self->run(); });
    } catch (...) {
      return false;
    }
    started.store(true, std::memory_order_relaxed);
    return true;
  }

  void run() noexcept {
    if (!options.name.empty()) {
      pthread_setname_np(pthread_self(), options.name.substr(0, 15).c_str());
    }
    const bool ticks = options.period.count() > 0;
    for (;;) {
      WorkerEvent event;
      {
        lumen::internal::UniqueLock lock(mutex);
        // Once stop() has given up, what the worker was given (the step, the clock) may be gone,
        // so neither is touched again. stop() sets `abandoned` under this mutex, so a clock read
        // made here ends before stop() returns.
        if (abandoned) break;
        // The period counts from the start and from the end of each step.
        const Deadline next_tick = ticks ? clock.now() + options.period : Deadline{};
        auto ready = [&] {
          return stop_requested.load() || wake_pending.load() ||
                 (options.has_work && options.has_work());
        };
        idle.store(true);
        if (ticks) {
          (void)clock.wait_until(lock.native(), wake_cv, next_tick, ready);
        } else {
          wake_cv.wait(lock.native(), ready);
        }
        idle.store(false, std::memory_order_relaxed);
        if (abandoned) break;
        if (stop_requested.load()) {
          event = WorkerEvent::kStop;
        } else if (wake_pending.exchange(false) || !ticks || clock.now() < next_tick) {
          event = WorkerEvent::kWake;  // woken, or has_work said so
        } else {
          event = WorkerEvent::kTick;
        }
      }
      try {
        step(event);
      } catch (...) {
      }
      if (event == WorkerEvent::kStop) break;
    }
    lumen::internal::MutexLock lock(mutex);
    ended = true;
    ended_cv.notify_all();
  }

  void before_fork() noexcept override LUMEN_ACQUIRE(mutex) { mutex.lock(); }
  void after_fork_in_parent() noexcept override LUMEN_RELEASE(mutex) { mutex.unlock(); }
  void after_fork_in_child() noexcept override LUMEN_RELEASE(mutex) {
    // The thread does not exist here; the std::thread naming it is overwritten, not destroyed
    // (destroying a joinable std::thread terminates). A condition variable may still list the
    // parent's waiters: rebuild both.
    new (&thread) std::thread();
    new (&wake_cv) std::condition_variable();
    new (&ended_cv) std::condition_variable();
    started.store(false, std::memory_order_relaxed);
    ended = false;
    if (options.restart_in_child) (void)start_locked();
    mutex.unlock();
  }
};

BackgroundWorker::BackgroundWorker(BackgroundWorkerOptions options, Step step)
    : shared_(std::make_shared<Shared>(std::move(options), std::move(step))),
      idle_(&shared_->idle) {
  ForkRegistry::add(shared_.get());
}

BackgroundWorker::~BackgroundWorker() {
  // Stopped before it leaves the registry, so that a fork meanwhile does not restart it.
  (void)stop(Deadline::max());
  ForkRegistry::remove(shared_.get());
}

bool BackgroundWorker::start() noexcept {
  lumen::internal::MutexLock lock(shared_->mutex);
  return shared_->start_locked();
}

void BackgroundWorker::wake() noexcept {
  Shared& s = *shared_;
  if (!s.started.load(std::memory_order_relaxed)) (void)start();
  if (s.wake_pending.exchange(true)) return;
  // Taken and released so that the notify cannot fall between the thread's look at
  // wake_pending and its wait.
  { lumen::internal::MutexLock lock(s.mutex); }
  s.wake_cv.notify_one();
}

bool BackgroundWorker::stop(Deadline deadline) noexcept {
  Shared& s = *shared_;
  std::thread thread;
  {
    lumen::internal::UniqueLock lock(s.mutex);
    s.stop_requested.store(true);
    s.wake_cv.notify_one();
    if (!s.thread.joinable()) return !s.started.load(std::memory_order_relaxed) || s.ended;
    if (s.thread.get_id() == std::this_thread::get_id()) {
      // Called from the step (its owner destroyed there): a thread cannot wait for itself.
      s.abandoned = true;
      s.thread.detach();
      return false;
    }
    if (!s.clock.wait_until(lock.native(), s.ended_cv, deadline,
                            [&]() LUMEN_REQUIRES(s.mutex) { return s.ended; })) {
      // The step hangs: leave the thread to finish it; it holds its own reference to `s`.
      s.abandoned = true;
      s.thread.detach();
      return false;
    }
    thread = std::move(s.thread);
  }
  thread.join();
  return true;
}

bool BackgroundWorker::stopping() const noexcept {
  return shared_->stop_requested.load();
}

}  // namespace lumen::detail
