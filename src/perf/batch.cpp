#include "lumen/perf/batch.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/background_worker.hpp"
#include "lumen/core/context.hpp"
#include "lumen/core/error.hpp"
#include "lumen/core/internal/mutex.hpp"

namespace lumen::perf::detail {
namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

enum class Slot : std::uint8_t { kPending, kQueued, kRunning, kDone, kTimedOut };

class BatchState final : public BatchRun {
 public:
  BatchState(std::size_t n, std::function<void(std::size_t, BatchRun&)> run,
             std::chrono::nanoseconds timeout)
      : run_(std::move(run)),
        timeout_(std::min<std::chrono::nanoseconds>(timeout, std::chrono::hours(24 * 365))),
        slots_(n, Slot::kPending),
        deadlines_(n),
        context_(Context::current()) {}

  lumen::internal::Mutex mu;
  std::condition_variable work_cv;  // workers: an item is queued, or the run is over
  std::condition_variable done_cv;  // coordinator: an item finished

  bool commit(std::size_t i, void (*write)(void*), void* ctx) {
    {
      lumen::internal::MutexLock lock(mu);
      if (slots_[i] != Slot::kRunning) return false;
      write(ctx);
      slots_[i] = Slot::kDone;
      --in_flight_;
      ++finished_;
    }
    done_cv.notify_one();
    return true;
  }

  // The caller's thread: hands items to workers batch by batch and times them out. Returns once
  // every worker has ended, except those still running an item that timed out: they are left to
  // finish it, holding only this shared state (see the lifetime rules of BackgroundWorker).
  std::vector<bool> coordinate(const std::shared_ptr<BatchState>& self, std::size_t batch_size,
                               std::size_t concurrency) {
    std::vector<std::unique_ptr<lumen::detail::BackgroundWorker>> workers;
    std::vector<bool> timed_out = hand_out(self, batch_size, concurrency, workers);
    std::vector<bool> straggling(workers.size());
    {
      lumen::internal::MutexLock lock(mu);
      for (std::size_t w = 0; w < workers.size(); ++w) {
        straggling[w] = running_[w] != kNone && slots_[running_[w]] == Slot::kTimedOut;
      }
    }
    // Any other worker has only to see over_ (after its item's commit, at most) to end, so it is
    // joined; a straggler runs the caller's function, which nothing bounds.
    const Deadline now = std::chrono::steady_clock::now();
    for (std::size_t w = 0; w < workers.size(); ++w) {
      (void)workers[w]->stop(straggling[w] ? now : Deadline::max());
    }
    return timed_out;
  }

 private:
  using Workers = std::vector<std::unique_ptr<lumen::detail::BackgroundWorker>>;

  // Starts a worker for the items queued beyond the idle ones. False if none could be started.
  bool add_worker(const std::shared_ptr<BatchState>& self, Workers& workers) LUMEN_REQUIRES(mu) {
    const std::size_t index = workers.size();
    try {
      workers.push_back(std::make_unique<lumen::detail::BackgroundWorker>(
          lumen::detail::BackgroundWorkerOptions{.name = "lumen-batch", .restart_in_child = false},
          [self, index](lumen::detail::WorkerEvent event) {
            if (event != lumen::detail::WorkerEvent::kStop) self->work(index);
          }));
      running_.push_back(kNone);
    } catch (...) {
      if (workers.size() > index) workers.pop_back();
      return false;
    }
    if (!workers.back()->start()) {
      workers.pop_back();
      running_.pop_back();
      return false;
    }
    workers.back()->wake();
    return true;
  }

  std::vector<bool> hand_out(const std::shared_ptr<BatchState>& self, std::size_t batch_size,
                             std::size_t concurrency, Workers& workers) {
    lumen::internal::UniqueLock lock(mu);
    const std::size_t n = slots_.size();
    std::size_t next = 0;
    std::size_t batch_start = 0;  // every item before it has an outcome: scans start here
    std::size_t batch_end = std::min(n, batch_size == 0 ? n : batch_size);
    while (finished_ < n) {
      bool queued = false;
      while (in_flight_ < concurrency && next < batch_end) {
        slots_[next] = Slot::kQueued;
        ready_.push_back(next++);
        ++in_flight_;
        queued = true;
        if (ready_.size() > idle_) {
          if (add_worker(self, workers)) {
            ++idle_;  // counted idle until it takes its first item
          } else if (workers.empty()) {
            throw Error("process_batch: could not start a worker thread");
          }  // else the item waits for a worker that is already there
        }
      }
      if (queued) work_cv.notify_all();
      if (next == batch_end && in_flight_ == 0) {
        batch_start = batch_end;
        batch_end = std::min(n, batch_end + (batch_size == 0 ? n : batch_size));
        continue;
      }
      // Items finish roughly in order, so skipping the finished prefix keeps the scans below about
      // `concurrency` wide instead of the whole batch.
      while (batch_start < next &&
             (slots_[batch_start] == Slot::kDone || slots_[batch_start] == Slot::kTimedOut)) {
        ++batch_start;
      }
      // Sleep until an item finishes or the earliest running item's deadline.
      std::optional<SteadyTime> earliest;
      for (std::size_t i = batch_start; i < next; ++i) {
        if (slots_[i] == Slot::kRunning && (!earliest || deadlines_[i] < *earliest)) {
          earliest = deadlines_[i];
        }
      }
      const std::size_t before = finished_;
      if (earliest) {
        done_cv.wait_until(lock.native(), *earliest,
                           [&]() LUMEN_REQUIRES(mu) { return finished_ != before; });
      } else {
        done_cv.wait(lock.native(), [&]() LUMEN_REQUIRES(mu) {
          if (finished_ != before) return true;
          for (std::size_t i = batch_start; i < next; ++i) {
            if (slots_[i] == Slot::kRunning) return true;  // a worker started one: get its deadline
          }
          return false;
        });
      }
      const SteadyTime now = std::chrono::steady_clock::now();
      for (std::size_t i = batch_start; i < next; ++i) {
        if (slots_[i] == Slot::kRunning && deadlines_[i] <= now) {
          slots_[i] = Slot::kTimedOut;
          --in_flight_;
          ++finished_;
        }
      }
    }
    over_ = true;
    std::vector<bool> timed_out(n);
    for (std::size_t i = 0; i < n; ++i) timed_out[i] = slots_[i] == Slot::kTimedOut;
    lock.unlock();
    work_cv.notify_all();
    return timed_out;
  }

  // Worker `w`'s one step: takes items until the run is over.
  void work(std::size_t w) {
    auto scope = context_.activate();
    lumen::internal::UniqueLock lock(mu);
    for (;;) {
      work_cv.wait(lock.native(), [&]() LUMEN_REQUIRES(mu) { return over_ || !ready_.empty(); });
      if (ready_.empty()) return;  // over
      const std::size_t i = ready_.front();
      ready_.pop_front();
      --idle_;
      running_[w] = i;
      slots_[i] = Slot::kRunning;
      deadlines_[i] = std::chrono::steady_clock::now() + timeout_;
      lock.unlock();
      done_cv.notify_one();  // the coordinator learns this item's deadline
      run_(i, *this);
      lock.lock();
      running_[w] = kNone;
      ++idle_;
    }
  }

  std::function<void(std::size_t, BatchRun&)> run_;
  const std::chrono::nanoseconds timeout_;
  std::vector<Slot> slots_ LUMEN_GUARDED_BY(mu);
  std::vector<SteadyTime> deadlines_ LUMEN_GUARDED_BY(mu);
  std::deque<std::size_t> ready_ LUMEN_GUARDED_BY(mu);
  std::size_t in_flight_ LUMEN_GUARDED_BY(mu) = 0;  // queued or running
  std::size_t finished_ LUMEN_GUARDED_BY(mu) = 0;   // done or timed out
  std::size_t idle_ LUMEN_GUARDED_BY(mu) = 0;       // workers waiting for an item
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  std::vector<std::size_t> running_ LUMEN_GUARDED_BY(mu);  // per worker: its item, or kNone
  bool over_ LUMEN_GUARDED_BY(mu) = false;
  Context context_;
};

}  // namespace

bool BatchRun::commit_erased(std::size_t i, void (*write)(void*), void* ctx) {
  return static_cast<BatchState*>(this)->commit(i, write, ctx);
}

std::vector<bool> run_batch(std::size_t n, const BatchOptions& options,
                            std::function<void(std::size_t, BatchRun&)> run) {
  if (n == 0) return {};
  auto state = std::make_shared<BatchState>(n, std::move(run), options.timeout);
  return state->coordinate(state, options.batch_size,
                           std::max<std::size_t>(1, options.concurrency));
}

std::string describe(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "non-standard exception";
  }
}

std::string timeout_message(std::size_t index, std::chrono::nanoseconds timeout) {
  return "item " + std::to_string(index) + " ran past its timeout of " +
         std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count()) +
         " ms (its function may still be running)";
}

}  // namespace lumen::perf::detail
