#include "lumen/log/batch_log_sink.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

#include "core/background_worker.hpp"
#include "lumen/core/error.hpp"
#include "lumen/core/internal/mutex.hpp"

namespace lumen::log {
namespace {

constexpr std::chrono::milliseconds kDestructorTimeout = std::chrono::seconds(5);

}  // namespace

struct BatchLogSink::State {
  State(std::shared_ptr<LogExporter> e, BatchLogSinkOptions o)
      : exporter(std::move(e)),
        options(std::move(o)),
        clock(options.clock != nullptr ? options.clock : &SystemClock::instance()) {}

  const std::shared_ptr<LogExporter> exporter;
  const BatchLogSinkOptions options;
  const Clock* const clock;

  lumen::internal::Mutex mutex;
  std::condition_variable done;  // flushes wait on it
  std::deque<LogRecordData> queue LUMEN_GUARDED_BY(mutex);
  std::uint64_t enqueued LUMEN_GUARDED_BY(mutex) = 0;  // records ever queued
  // Records taken from the queue whose export has returned.
  std::uint64_t handled LUMEN_GUARDED_BY(mutex) = 0;
  // Export without waiting until `handled` reaches it.
  std::uint64_t flush_target LUMEN_GUARDED_BY(mutex) = 0;
  bool closed LUMEN_GUARDED_BY(mutex) = false;  // shutdown began: write() drops
  bool worker_finished LUMEN_GUARDED_BY(mutex) = false;

  std::atomic<std::uint64_t> queued{0};
  std::atomic<std::uint64_t> dropped{0};
  std::atomic<std::uint64_t> exported{0};
  std::atomic<std::uint64_t> export_failed{0};
  std::atomic<std::uint64_t> batches{0};

  // The worker's step. Exports a batch when one is full or a flush asks, and on the tick (the
  // schedule delay since the last step) whatever is waiting, one batch at least.
  void step(lumen::detail::WorkerEvent event) {
    std::vector<LogRecordData> batch;
    lumen::internal::UniqueLock lock(mutex);
    bool tick = event == lumen::detail::WorkerEvent::kTick;
    while (!queue.empty() &&
           (tick || queue.size() >= options.max_export_batch_size || flush_target > handled)) {
      tick = false;
      const std::size_t n = std::min(queue.size(), options.max_export_batch_size);
      if (batch.capacity() == 0) batch.reserve(options.max_export_batch_size);
      batch.clear();
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue.front()));
        queue.pop_front();
      }
      lock.unlock();
      export_batch(batch);
      lock.lock();
      handled += n;
      done.notify_all();
    }
    if (event == lumen::detail::WorkerEvent::kStop) {
      worker_finished = true;
      done.notify_all();
    }
  }

  void export_batch(const std::vector<LogRecordData>& batch) {
    const LogBatch view{.records = batch,
                        .resource = &options.resource,
                        .scope_name = options.scope_name,
                        .scope_version = options.scope_version};
    const LogExportResult result =
        exporter->export_logs(view, clock->now() + options.export_timeout);
    batches.fetch_add(1, std::memory_order_relaxed);
    (result == LogExportResult::kSuccess ? exported : export_failed)
        .fetch_add(batch.size(), std::memory_order_relaxed);
  }

  // Waits until what was queued before the call is exported, or the deadline.
  bool flush_until(Deadline deadline, lumen::detail::BackgroundWorker& worker) {
    lumen::internal::UniqueLock lock(mutex);
    const std::uint64_t target = enqueued;
    flush_target = std::max(flush_target, target);
    lock.unlock();
    worker.wake();
    lock.lock();
    return clock->wait_until(lock.native(), done, deadline, [&]() LUMEN_REQUIRES(mutex) {
      return handled >= target || worker_finished;
    }) && handled >= target;
  }
};

BatchLogSink::BatchLogSink(std::shared_ptr<LogExporter> exporter, BatchLogSinkOptions options) {
  if (!exporter) throw Error("BatchLogSink needs an exporter");
  if (options.max_queue_size == 0 || options.max_export_batch_size == 0) {
    throw Error("BatchLogSink: max_queue_size and max_export_batch_size must be at least 1");
  }
  if (options.max_export_batch_size > options.max_queue_size) {
    throw Error(
        "BatchLogSink: max_export_batch_size (" + std::to_string(options.max_export_batch_size) +
        ") must not exceed max_queue_size (" + std::to_string(options.max_queue_size) + ")");
  }
  state_ = std::make_shared<State>(std::move(exporter), std::move(options));
  worker_ = std::make_unique<lumen::detail::BackgroundWorker>(
      lumen::detail::BackgroundWorkerOptions{.name = "lumen-log-export",
                                             .period = state_->options.schedule_delay,
                                             .clock = state_->clock},
      [state = state_](lumen::detail::WorkerEvent event) { state->step(event); });
  if (!worker_->start()) throw Error("BatchLogSink could not start its thread");
}

BatchLogSink::~BatchLogSink() {
  (void)shutdown(kDestructorTimeout);
}

bool BatchLogSink::write(const FormattedRecord& record) {
  State& s = *state_;
  LogRecordData r;
  r.time_ns = record.wall_ns;
  r.observed_time_ns = s.clock->wall_ns();
  r.level = record.level;
  if (record.data != nullptr) {
    r.body.assign(record.data->message);
    r.attributes = record.data->attributes;
    r.trace_id = record.data->trace_id;
    r.span_id = record.data->span_id;
    r.trace_flags = record.data->trace_flags;
  } else {
    r.body.assign(record.message);  // a caller other than a Logger: the escaped text
  }
  bool wake_worker = false;
  {
    lumen::internal::MutexLock lock(s.mutex);
    if (s.closed || s.queue.size() >= s.options.max_queue_size) {
      s.dropped.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    s.queue.push_back(std::move(r));
    ++s.enqueued;
    wake_worker = s.queue.size() == s.options.max_export_batch_size;
  }
  s.queued.fetch_add(1, std::memory_order_relaxed);
  if (wake_worker) worker_->wake();
  return true;
}

std::optional<std::uint64_t> BatchLogSink::lost() const {
  return state_->dropped.load(std::memory_order_relaxed) +
         state_->export_failed.load(std::memory_order_relaxed);
}

std::string BatchLogSink::last_error() const {
  return "export queue full (" + std::to_string(state_->options.max_queue_size) +
         " records): the collector is slow or unreachable, or the sink is shut down";
}

bool BatchLogSink::force_flush(std::chrono::milliseconds timeout) {
  return state_->flush_until(state_->clock->now() + timeout, *worker_);
}

bool BatchLogSink::shutdown(std::chrono::milliseconds timeout) {
  State& s = *state_;
  {
    lumen::internal::MutexLock lock(s.mutex);
    if (s.closed) return true;
    s.closed = true;
  }
  const auto deadline = s.clock->now() + timeout;
  const bool flushed = s.flush_until(deadline, *worker_);
  std::size_t left = 0;
  {
    lumen::internal::MutexLock lock(s.mutex);
    left = s.queue.size();  // the deadline passed first: these are never exported
    s.queue.clear();
  }
  s.dropped.fetch_add(left, std::memory_order_relaxed);
  s.exporter->shutdown(deadline);  // aborts an export still running
  // An exporter ignoring the abort past the deadline: the worker owns the state and ends later.
  const bool finished = worker_->stop(deadline);
  return flushed && finished;
}

BatchLogSinkStats BatchLogSink::stats() const noexcept {
  const State& s = *state_;
  return BatchLogSinkStats{.queued = s.queued.load(std::memory_order_relaxed),
                           .dropped = s.dropped.load(std::memory_order_relaxed),
                           .exported = s.exported.load(std::memory_order_relaxed),
                           .export_failed = s.export_failed.load(std::memory_order_relaxed),
                           .batches = s.batches.load(std::memory_order_relaxed)};
}

}  // namespace lumen::log
