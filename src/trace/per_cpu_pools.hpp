// PerCpuPools: free objects of one type (SpanData, SpanRecord) kept for reuse, one pool per CPU.
//
// An object is written by the thread that starts a span in it: when it comes back to a thread on
// the same CPU, its cache lines are still there. Handed to the other core instead, each of them
// must cross over, and on a VM where that takes hundreds of nanoseconds a line, two producers on
// two cores lost more time to it than the span takes. Threads trade with these pools a chunk at a
// time from small caches of their own (span_data_pool.cpp, span_record.cpp), so that almost no
// span start or recycle takes a lock.
// Thread-safety: take and give may be called from any thread.
#pragma once

#include <algorithm>
#include <cstddef>
#include <thread>
#include <vector>

#include "lumen/core/fork_safety.hpp"
#include "lumen/core/internal/mutex.hpp"

namespace lumen::trace::detail {

template <typename T>
class PerCpuPools final : public ForkAware {
 public:
  static constexpr std::size_t kMaxPools = 16;

  // `capacity` objects in all, split over the CPUs; beyond it, what is given back is freed.
  explicit PerCpuPools(std::size_t capacity)
      : count_(std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, kMaxPools)),
        capacity_(capacity / count_),
        pools_(count_) {
    for (Pool& pool : pools_) {
      lumen::internal::MutexLock lock(pool.mutex);
      pool.free.reserve(capacity_);
    }
    ForkRegistry::add(this);
  }

  // Moves up to `max` objects into `out`, from the pool of `cpu` first; returns how many.
  std::size_t take(T** out, std::size_t max, std::size_t cpu) {
    const std::size_t home = cpu % count_;
    for (std::size_t i = 0; i < count_; ++i) {
      Pool& pool = pools_[(home + i) % count_];
      lumen::internal::MutexLock lock(pool.mutex);
      const std::size_t n = std::min(max, pool.free.size());
      for (std::size_t k = 0; k < n; ++k) {
        out[k] = pool.free.back();
        pool.free.pop_back();
      }
      if (n > 0) return n;
    }
    return 0;
  }

  // Keeps what fits in the pool of `cpu` and frees the rest.
  void give(T* const* objects, std::size_t n, std::size_t cpu) {
    Pool& pool = pools_[cpu % count_];
    std::size_t kept = 0;
    {
      lumen::internal::MutexLock lock(pool.mutex);
      kept = std::min(n, capacity_ - pool.free.size());
      pool.free.insert(pool.free.end(), objects, objects + kept);
    }
    for (std::size_t i = kept; i < n; ++i) delete objects[i];
  }

  // A fork while another thread holds a lock would leave the child's pool locked forever.
  // Unchecked, as unlock_all(): a lock per pool, taken in a loop and released by other hooks.
  void before_fork() noexcept override LUMEN_NO_THREAD_SAFETY_ANALYSIS {
    for (Pool& pool : pools_) pool.mutex.lock();
  }
  void after_fork_in_parent() noexcept override { unlock_all(); }
  void after_fork_in_child() noexcept override { unlock_all(); }

 private:
  struct alignas(64) Pool {
    lumen::internal::Mutex mutex;
    std::vector<T*> free LUMEN_GUARDED_BY(mutex);
  };

  // Unchecked: releases the locks before_fork() took (see there).
  void unlock_all() noexcept LUMEN_NO_THREAD_SAFETY_ANALYSIS {
    for (Pool& pool : pools_) pool.mutex.unlock();
  }

  const std::size_t count_;
  const std::size_t capacity_;  // of each pool
  std::vector<Pool> pools_;
};

}  // namespace lumen::trace::detail
