// WorkerPool: a fixed set of threads taking jobs from a bounded queue.
//
// try_submit() refuses a job when the queue is full (the gateway answers 503 then) instead of
// letting it grow: the queue is the service's backpressure. Workers may block (an upstream call);
// the thread count is the number of requests in progress at once.
// stop() lets the workers finish every job already queued, then joins them.
// Thread-safety: try_submit, depth and stats may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>
#include "lumen/core/internal/mutex.hpp"

namespace beautifyai {

struct WorkerPoolStats {
  std::size_t depth = 0;       // queued, not yet started
  std::size_t busy = 0;        // running now
  std::uint64_t rejected = 0;  // refused because the queue was full or the pool stopped
  std::uint64_t completed = 0;
};

class WorkerPool {
 public:
  WorkerPool(std::size_t threads, std::size_t capacity);
  ~WorkerPool();  // stop()
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // False when the queue holds `capacity` jobs already, or after stop().
  [[nodiscard]] bool try_submit(std::function<void()> job);
  void stop();

  [[nodiscard]] WorkerPoolStats stats() const;

 private:
  void work();

  const std::size_t capacity_;
  mutable lumen::internal::Mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_ LUMEN_GUARDED_BY(mutex_);
  bool stopping_ LUMEN_GUARDED_BY(mutex_) = false;
  std::size_t busy_ LUMEN_GUARDED_BY(mutex_) = 0;
  std::uint64_t rejected_ LUMEN_GUARDED_BY(mutex_) = 0;
  std::uint64_t completed_ LUMEN_GUARDED_BY(mutex_) = 0;
  std::vector<std::thread> threads_;
};

}  // namespace beautifyai
