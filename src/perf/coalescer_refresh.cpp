#include "perf/coalescer_shards.hpp"

#include <stdexcept>

namespace lumen::perf::detail {

void CoalescerShards::refresh(std::string_view key, CoalescerCore::Ticket ticket,
                              std::function<std::shared_ptr<const void>()> work) {
  {
    std::lock_guard lock(refresh_mu_);
    if (refresh_queue_.size() < kMaxQueuedRefreshes && !refresh_stop_) {
      refresh_queue_.push_back(
          {std::string(key), std::move(ticket), std::move(work), Context::current()});
      if (!refresh_thread_.joinable()) refresh_thread_ = std::thread([this] { refresh_loop(); });
      refresh_cv_.notify_one();
      return;
    }
  }
  refresh_drops_.fetch_add(1, std::memory_order_relaxed);
  // The flight was registered for this refresh: end it, or later callers would wait on it.
  finish(key, ticket, nullptr,
         std::make_exception_ptr(std::runtime_error("coalescer '" + opt_.name +
                                                    "': background refresh dropped (queue full)")));
}

void CoalescerShards::refresh_loop() {
  std::unique_lock lock(refresh_mu_);
  for (;;) {
    refresh_cv_.wait(lock, [&] { return refresh_stop_ || !refresh_queue_.empty(); });
    if (refresh_stop_) break;
    RefreshTask task = std::move(refresh_queue_.front());
    refresh_queue_.pop_front();
    lock.unlock();
    {
      ContextScope scope(task.context);
      try {
        (void)execute(
            task.key, task.ticket,
            [](void* fn) { return (*static_cast<decltype(task.work)*>(fn))(); }, &task.work);
      } catch (...) {
        // Counted by execute(); the stale value stays until its grace period ends.
      }
    }
    lock.lock();
  }
  // Shutting down: end the flights of refreshes that never ran, so no caller waits on them.
  while (!refresh_queue_.empty()) {
    RefreshTask task = std::move(refresh_queue_.front());
    refresh_queue_.pop_front();
    lock.unlock();
    finish(
        task.key, task.ticket, nullptr,
        std::make_exception_ptr(std::runtime_error("coalescer destroyed before the refresh ran")));
    lock.lock();
  }
}

}  // namespace lumen::perf::detail
