#include "perf/coalescer_shards.hpp"

#include <stdexcept>

namespace lumen::perf::detail {

void CoalescerShards::refresh(std::string_view key, CoalescerCore::Ticket ticket,
                              std::function<std::shared_ptr<const void>()> work) {
  bool queued = false;
  {
    lumen::internal::MutexLock lock(refresh_mu_);
    if (refresh_queue_.size() < kMaxQueuedRefreshes && !refresh_worker_.stopping()) {
      refresh_queue_.push_back(
          {std::string(key), std::move(ticket), std::move(work), Context::current()});
      queued = true;
    }
  }
  if (queued) {
    refresh_worker_.wake();
    return;
  }
  refresh_drops_.fetch_add(1, std::memory_order_relaxed);
  // The flight was registered for this refresh: end it, or later callers would wait on it.
  finish(key, ticket, nullptr,
         std::make_exception_ptr(std::runtime_error("coalescer '" + opt_.name +
                                                    "': background refresh dropped (queue full)")));
}

void CoalescerShards::refresh_step(lumen::detail::WorkerEvent event) {
  lumen::internal::UniqueLock lock(refresh_mu_);
  // Runs what is queued until it is told to stop (a refresh under way finishes first).
  while (event != lumen::detail::WorkerEvent::kStop && !refresh_worker_.stopping() &&
         !refresh_queue_.empty()) {
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
  if (event != lumen::detail::WorkerEvent::kStop) return;
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
