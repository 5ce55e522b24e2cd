#include "worker_pool.hpp"

namespace beautifyai {

WorkerPool::WorkerPool(std::size_t threads, std::size_t capacity) : capacity_(capacity) {
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

WorkerPool::~WorkerPool() {
  stop();
}

bool WorkerPool::try_submit(std::function<void()> job) {
  {
    lumen::internal::MutexLock lock(mutex_);
    if (stopping_ || queue_.size() >= capacity_) {
      ++rejected_;
      return false;
    }
    queue_.push_back(std::move(job));
  }
  ready_.notify_one();
  return true;
}

void WorkerPool::stop() {
  {
    lumen::internal::MutexLock lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void WorkerPool::work() {
  for (;;) {
    std::function<void()> job;
    {
      lumen::internal::UniqueLock lock(mutex_);
      ready_.wait(lock.native(),
                  [this]() LUMEN_REQUIRES(mutex_) { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left
      job = std::move(queue_.front());
      queue_.pop_front();
      ++busy_;
    }
    job();  // jobs catch their own exceptions: the gateway answers every request
    lumen::internal::MutexLock lock(mutex_);
    --busy_;
    ++completed_;
  }
}

WorkerPoolStats WorkerPool::stats() const {
  lumen::internal::MutexLock lock(mutex_);
  return {queue_.size(), busy_, rejected_, completed_};
}

}  // namespace beautifyai
