#include "lumen/trace/batch_span_processor.hpp"

#include <sys/prctl.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <new>
#include <span>
#include <thread>
#include <vector>

#include "core/background_worker.hpp"
#include "core/per_cpu_queue.hpp"
#include "lumen/core/clock.hpp"
#include "lumen/core/fork_safety.hpp"
#include "lumen/core/internal/mutex.hpp"
#include "lumen/core/internal/striped_counter.hpp"
#include "lumen/trace/span_data_pool.hpp"
#include "span_record.hpp"

namespace lumen::trace {

using SteadyClock = std::chrono::steady_clock;

// How long fork() waits for an export in progress to return (see wait_before_fork).
constexpr auto kForkWaitForExport = std::chrono::seconds(2);

// A stretch of a batch that came from one shard of the queue: so many of its SpanData spans and so
// many of its records.
struct ShardRun {
  std::size_t shard;
  std::size_t spans;
  std::size_t records;
};

// An ended span in the queue: a SpanData, or a compact record (when the exporter reads records),
// whose address is kept one byte on: a record's 64-byte alignment makes that address odd, and
// a SpanData's is even.
class QueuedSpan {
 public:
  QueuedSpan() = default;
  explicit QueuedSpan(SpanData* span) noexcept : at_(reinterpret_cast<std::byte*>(span)) {}
  explicit QueuedSpan(detail::SpanRecord* record) noexcept
      : at_(reinterpret_cast<std::byte*>(record) + 1) {}

  [[nodiscard]] bool is_record() const noexcept {
    return (reinterpret_cast<std::uintptr_t>(at_) & 1U) != 0;
  }
  [[nodiscard]] SpanData* span() const noexcept { return reinterpret_cast<SpanData*>(at_); }
  [[nodiscard]] detail::SpanRecord* record() const noexcept {
    return reinterpret_cast<detail::SpanRecord*>(at_ - 1);
  }

 private:
  static_assert(alignof(SpanData) % 2 == 0 && alignof(detail::SpanRecord) % 2 == 0);
  std::byte* at_ = nullptr;
};

// The spans a drain hands to the exporter at once, in the two forms they may have.
struct ExportBatch {
  std::vector<std::unique_ptr<SpanData>> spans;
  std::vector<detail::SpanRecord*> records;
  std::vector<ShardRun> runs;

  [[nodiscard]] std::size_t size() const noexcept { return spans.size() + records.size(); }
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }
  void add(QueuedSpan queued) {
    if (queued.is_record()) {
      records.push_back(queued.record());
    } else {
      spans.emplace_back(queued.span());
    }
  }
};

struct BatchSpanProcessor::State final : ForkAware, detail::SpanRecordSink {
  State(std::shared_ptr<SpanExporter> e, BatchSpanProcessorOptions o)
      : options(o),
        clock(clock_or_system(o.clock)),
        exporter(std::move(e)),
        exporter_reads_records(exporter->reads_records()),
        queue(std::max<std::size_t>(1, o.max_queue_size)),
        batch_size(std::clamp<std::size_t>(o.max_export_batch_size, 1, queue.capacity())),
        wake_threshold(std::clamp<std::size_t>(
            std::min(queue.capacity() / 4, queue.shard_capacity() / 2), 1, batch_size)) {}

  ~State() { discard_queued(); }

  const BatchSpanProcessorOptions options;
  const Clock& clock;
  const std::shared_ptr<SpanExporter> exporter;
  const bool exporter_reads_records;
  // Per CPU: two producers on two cores that shared one queue spent more time handing its counter
  // and cells back and forth than on the rest of their spans.
  PerCpuQueue<QueuedSpan> queue;
  const std::size_t batch_size;
  // The worker is woken before a whole batch is waiting: a wake-up takes tens of microseconds on
  // a busy machine, and a fast producer would fill the rest of its shard in that time.
  const std::size_t wake_threshold;

  // Set once by the processor, which owns the worker and keeps this state in the fork registry
  // only while it lives; null until then (a fork child of a processor under construction).
  std::atomic<lumen::detail::BackgroundWorker*> worker{nullptr};
  lumen::internal::Mutex mutex;
  std::condition_variable wake_waiters;  // flush and shutdown callers
  // True while the worker is inside the exporter: CPU time given to it then buys no draining.
  std::atomic<bool> worker_exporting{false};
  std::atomic<bool> stopping{false};
  // Raised under mutex; keep_up reads it without the mutex to notice a flush.
  std::atomic<std::uint64_t> flush_requested{0};
  // The worker, its only writer, also reads it without the mutex: flush_completed_by_worker().
  std::uint64_t flush_completed LUMEN_GUARDED_BY(mutex) = 0;
  Deadline stop_deadline LUMEN_GUARDED_BY(mutex) = Deadline::max();
  bool worker_finished LUMEN_GUARDED_BY(mutex) = false;
  // Held by the worker while it is inside the exporter. fork() takes it first, so that a child
  // does not inherit an exporter in the middle of a call, with its locks held by a thread that
  // does not exist in the child and its connection half used.
  std::timed_mutex exporting;
  bool fork_holds_exporting = false;  // set and read only by the forking thread

  // Spans accepted into the queue are counted by the queue itself (push_count): one atomic
  // read-modify-write less on the hot path.
  // Striped: when the queue is full, every producer counts every span it ends here.
  lumen::detail::StripedCounter dropped;
  std::atomic<std::uint64_t> exported{0};
  std::atomic<std::uint64_t> export_failed{0};
  std::atomic<std::uint64_t> batches{0};

  // Whether the worker has something to do before its next scheduled export. Asked by the worker
  // after it marked itself idle (see on_end).
  // The worker's read of flush_completed, which needs no lock: the worker is its only writer.
  std::uint64_t flush_completed_by_worker() const LUMEN_NO_THREAD_SAFETY_ANALYSIS {
    return flush_completed;
  }

  bool has_work() const {
    return stopping.load() || flush_requested.load() != flush_completed_by_worker() ||
           queue.size_approx() >= wake_threshold;
  }

  // The deadline of a shutdown in progress, else Deadline::max().
  Deadline current_stop_deadline() {
    if (!stopping.load()) return Deadline::max();
    lumen::internal::MutexLock lock(mutex);
    return stop_deadline;
  }

  // Takes up to batch_size spans; false if it stopped at a gap. A shard hands spans out in the
  // order producers claimed its cells, so a producer caught between claiming a cell and filling
  // it leaves a gap that hides the spans behind it, which may belong to on_end calls that have
  // already returned. A flush or a shutdown must include those, so `wait_at_gap` waits for the
  // producer: it is a few instructions from done. Other drains end the batch at a gap once it holds
  // something: the producer may have been preempted right there by this very worker, whose yield
  // would then hand it the core until its time slice ends (two producers at full speed exported
  // a tenth of their spans that way).
  // Notes in batch.runs which shard each stretch of the batch came from.
  bool take(ExportBatch& batch, bool wait_at_gap) {
    for (;;) {
      bool gap = false;
      for (std::size_t i = 0; i < queue.shard_count() && batch.size() < batch_size; ++i) {
        const std::size_t spans_before = batch.spans.size();
        const std::size_t records_before = batch.records.size();
        QueuedSpan queued;
        while (batch.size() < batch_size && queue.try_pop(i, queued)) {
          if (batch.spans.capacity() < batch_size) {
            batch.spans.reserve(batch_size);
            if (exporter_reads_records) batch.records.reserve(batch_size);
          }
          batch.add(queued);
        }
        if (batch.size() > spans_before + records_before) {
          batch.runs.push_back(
              {i, batch.spans.size() - spans_before, batch.records.size() - records_before});
        }
        if (batch.size() < batch_size && queue.size_approx(i) != 0) gap = true;
      }
      if (!gap) return true;
      if (!wait_at_gap && !batch.empty()) return false;
      std::this_thread::yield();
    }
  }

  // Deletes what the queue holds, up to the first gap of each shard.
  void discard_queued() noexcept {
    for (std::size_t i = 0; i < queue.shard_count(); ++i) {
      QueuedSpan queued;
      while (queue.try_pop(i, queued)) {
        if (queued.is_record()) {
          delete queued.record();
        } else {
          delete queued.span();
        }
      }
    }
  }

  // Exports what the queue holds now, in batches of at most batch_size. Returns how many spans.
  // Spans that arrive meanwhile may leave too, but are not waited for: a producer that keeps
  // pace with the exporter would otherwise hold the worker here, and a flush waiting on it, for
  // as long as it runs. `complete` asks for every span ended so far (see take).
  std::size_t drain(bool complete) {
    const std::size_t queued = queue.size_approx();
    std::size_t total = 0;
    // Storage is reserved on the first span taken, so that an idle wake-up allocates nothing.
    ExportBatch batch;
    while (total < queued) {
      const bool whole = take(batch, complete);
      if (batch.empty()) return total;
      total += batch.size();
      // Read per batch: shutdown may have started (and timed out) during the previous export.
      const Deadline stop_by = current_stop_deadline();
      const Deadline now = clock.now();
      if (now >= stop_by) {
        // Past shutdown's deadline nobody waits for these spans, and the exporter may be holding
        // up a shutdown already late: count them as dropped, never export them.
        dropped.add(batch.size());
      } else {
        ExportResult result;
        {
          std::lock_guard in_exporter(exporting);
          worker_exporting.store(true, std::memory_order_relaxed);
          const Deadline deadline = std::min(now + options.export_timeout, stop_by);
          result = batch.records.empty()
                       ? exporter->export_owned(batch.spans, deadline)
                       : exporter->export_records(batch.spans, batch.records, deadline);
          worker_exporting.store(false, std::memory_order_relaxed);
        }
        batches.fetch_add(1, std::memory_order_relaxed);
        (result == ExportResult::kSuccess ? exported : export_failed)
            .fetch_add(batch.size(), std::memory_order_relaxed);
      }
      // Each span goes back to the CPU whose shard it came from, which is most likely where it was
      // made and where the next span on that CPU will be written; so does a span that an exporter
      // which keeps spans gave back in its place.
      std::span<std::unique_ptr<SpanData>> spans(batch.spans);
      std::span<detail::SpanRecord* const> records(batch.records);
      for (const ShardRun& run : batch.runs) {
        recycle(spans.first(run.spans), run.shard);
        spans = spans.subspan(run.spans);
        detail::recycle_records(records.first(run.records), run.shard);
        records = records.subspan(run.records);
      }
      batch.spans.clear();
      batch.records.clear();
      batch.runs.clear();
      if (!whole) return total;  // the rest is behind a gap: the next look takes it
    }
    return total;
  }

  // The worker's step: on a wake-up (a batch's worth is waiting, a flush, a shutdown) and every
  // schedule_delay after the previous step.
  void step() {
    // keep_up's 20 us naps would otherwise last the default 50 us timer slack longer.
    static thread_local const bool slack_set = prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL) == 0;
    (void)slack_set;
    std::uint64_t flush_target;
    bool stop;
    {
      lumen::internal::MutexLock lock(mutex);
      flush_target = flush_requested;
      stop = stopping.load();
    }
    const std::size_t drained = drain(stop || flush_target != flush_completed_by_worker());
    // A shutdown that began meanwhile may have timed out on this step: no other step may come, so
    // this one finishes the work (past the deadline, what is left counts as dropped).
    stop = stop || stopping.load();
    if (stop) {
      // Spans of producers that passed the stopping check just before it was set.
      while (drain(true) > 0) {
      }
    }
    {
      lumen::internal::MutexLock lock(mutex);
      flush_completed = flush_target;
      worker_finished = stop;
      wake_waiters.notify_all();
    }
    if (!stop && drained >= wake_threshold) keep_up();
  }

  // Under load, spans keep coming: look at the queue every few microseconds for a while instead
  // of waiting for a wake-up, so that a producer at full speed never fills the queue. The naps
  // matter as much as the looks: every look pulls the queue's counters away from the producers'
  // caches. Only wake_threshold spans or more are exported: the few spans that arrive between two
  // looks at a moderate rate would otherwise leave in batches of a few, each one a request to the
  // collector. A flush or a shutdown ends it at once, for run() to serve. The window and the naps
  // are the machine's time, not options.clock's: they pace the CPU, and promise nothing to users.
  //
  // Polling only pays while spans come fast: a worker woken by a producer is late by a wake-up's
  // tens of microseconds, which matters only when the queue's room beyond the threshold fills in
  // about that time. Once the spans seen since the last export would take longer than kSlowFill
  // to reach the threshold, the worker goes back to waiting for the producers' wake. A server
  // handling a hundred thousand spans a second otherwise made a nap system call every 20 us,
  // about a hundred per batch; now it makes a few.
  void keep_up() {
    constexpr auto kHotWindow = std::chrono::milliseconds(2);
    constexpr auto kNap = std::chrono::microseconds(20);
    constexpr auto kShortNap = std::chrono::microseconds(5);
    constexpr auto kJudgeAfter = std::chrono::microseconds(100);  // a few naps: a steadier rate
    constexpr auto kSlowFill = std::chrono::microseconds(400);
    const auto ns = [](auto duration) {
      return static_cast<std::uint64_t>(std::chrono::nanoseconds(duration).count());
    };
    Deadline last_export = SteadyClock::now();
    auto nap = kNap;
    while (!stopping.load(std::memory_order_relaxed) &&
           flush_requested.load(std::memory_order_relaxed) == flush_completed_by_worker()) {
      std::this_thread::sleep_for(nap);
      const Deadline now = SteadyClock::now();
      const std::size_t waiting = queue.size_approx();
      // In nanoseconds, and not negative: the clock is steady.
      const std::uint64_t since_ns = ns(now - last_export);
      // At half a threshold or more per nap since the last export, a nap that a VM ends tens of
      // microseconds late leaves a fast producer time to fill the queue: one producer at 60 ns a
      // span exported 98 % of its spans with 20 us naps, 99.8 % with these.
      nap = waiting * ns(kNap) * 2 >= wake_threshold * since_ns ? kShortNap : kNap;
      if (waiting >= wake_threshold) {
        drain(false);
        last_export = SteadyClock::now();
        continue;
      }
      if (now - last_export >= kHotWindow) return;
      // waiting / since < wake_threshold / kSlowFill, without a division.
      if (now - last_export >= kJudgeAfter && waiting * ns(kSlowFill) < wake_threshold * since_ns) {
        return;
      }
    }
  }

  // The queue is full. When the worker is draining rather than waiting on the exporter, it is short
  // of CPU, most likely because the application's threads fill every core: give it this core once
  // and try again. Two producers at full speed on two cores exported 60 to 80 % of their spans
  // without this, and 99.9 % with it, at no cost in throughput. A worker stuck on a slow collector
  // gains nothing from the core, so then the span is dropped at once, without a system call.
  bool push_after_yield(QueuedSpan span, std::size_t& position) noexcept {
    if (worker_exporting.load(std::memory_order_relaxed)) return false;
    std::this_thread::yield();
    return queue.try_push(span, position);
  }

  // Queues an ended span; false if it is dropped (and counted), the caller's to recycle.
  //
  // Every wake_threshold-th push into a shard looks whether the worker sleeps, and wakes it: once
  // per batch, not per span, and without reading the consumer's side of the queue. The push's
  // seq_cst claim and this seq_cst load pair with the worker's store of its idle flag and its
  // re-read of the queue size (has_work): one of the two sides sees the other, so no shard holds
  // more than two thresholds' worth before the worker runs.
  [[gnu::hot]] bool push(QueuedSpan span) noexcept {
    if (stopping.load(std::memory_order_relaxed)) return false;
    std::size_t position;
    if (!queue.try_push(span, position) && !push_after_yield(span, position)) {
      dropped.add();
      return false;
    }
    if ((position + 1) % wake_threshold == 0) {
      lumen::detail::BackgroundWorker* w = worker.load(std::memory_order_relaxed);
      if (w != nullptr && w->idle()) w->wake();
    }
    return true;
  }

  // The sink of spans started as records, when the exporter reads them (record_sink): a record
  // is queued as it is, and goes back to a pool of its CPU after export.
  detail::SpanRecord* keep(detail::SpanRecord* record) noexcept override {
    return push(QueuedSpan(record)) ? nullptr : record;
  }

  // Here rather than in before_fork: the export in progress may need locks that other components
  // take for the fork in their before_fork (the HTTP sender's), and would not end until the wait's
  // bound. Bounded: an exporter that hangs must not hang fork(). Past the bound the child may
  // inherit an exporter in mid-call; its own deadlines then apply.
  void wait_before_fork() noexcept override {
    fork_holds_exporting = exporting.try_lock_for(kForkWaitForExport);
  }
  void before_fork() noexcept override LUMEN_ACQUIRE(mutex) { mutex.lock(); }
  void after_fork_in_parent() noexcept override LUMEN_RELEASE(mutex) {
    mutex.unlock();
    if (fork_holds_exporting) exporting.unlock();
  }
  void after_fork_in_child() noexcept override LUMEN_RELEASE(mutex) {
    // Threads do not survive fork(): the worker is gone (the BackgroundWorker, whose hook ran
    // first, forgot it), and a condition variable may still list the parent's waiters. What the
    // parent had queued is the parent's to export.
    new (&wake_waiters) std::condition_variable();
    new (&exporting) std::timed_mutex();  // if the wait timed out, a vanished worker holds it
    discard_queued();
    queue.reset();
    worker_exporting.store(false);
    flush_completed = flush_requested.load();
    dropped.reset();
    for (auto* counter : {&exported, &export_failed, &batches}) counter->store(0);
    mutex.unlock();
    if (auto* w = worker.load(); w != nullptr && !stopping.load()) (void)w->start();
  }
};

BatchSpanProcessor::BatchSpanProcessor(std::shared_ptr<SpanExporter> exporter,
                                       BatchSpanProcessorOptions options)
    : state_(std::make_shared<State>(std::move(exporter), options)) {
  // Before the worker: a fork child runs the hooks in reverse order, so the worker forgets its
  // thread before the state's hook resets the state and starts the worker again.
  ForkRegistry::add(state_.get());
  // The step shares the state: a worker left behind by a timed-out shutdown keeps it alive.
  worker_ = std::make_unique<lumen::detail::BackgroundWorker>(
      lumen::detail::BackgroundWorkerOptions{.name = "lumen-spans",
                                             .period = options.schedule_delay,
                                             .restart_in_child = false,
                                             .clock = &state_->clock,
                                             .has_work = [s = state_] { return s->has_work(); }},
      [s = state_](lumen::detail::WorkerEvent) { s->step(); });
  state_->worker.store(worker_.get());
  (void)worker_->start();
}

BatchSpanProcessor::~BatchSpanProcessor() {
  shutdown(state_->options.shutdown_timeout);
  ForkRegistry::remove(state_.get());
}

void BatchSpanProcessor::on_end(std::unique_ptr<SpanData> span) noexcept {
  if (state_->push(QueuedSpan(span.get()))) {
    (void)span.release();
  } else {
    recycle(std::move(span));
  }
}

detail::SpanRecordSink* BatchSpanProcessor::record_sink() noexcept {
  return state_->exporter_reads_records ? state_.get() : nullptr;
}

bool BatchSpanProcessor::force_flush(std::chrono::milliseconds timeout) noexcept {
  State& s = *state_;
  const Deadline deadline = s.clock.now() + timeout;
  lumen::internal::UniqueLock lock(s.mutex);
  if (s.worker_finished) return s.queue.size_approx() == 0;
  const std::uint64_t ticket = ++s.flush_requested;
  worker_->wake();
  return s.clock.wait_until(lock.native(), s.wake_waiters, deadline, [&]() LUMEN_REQUIRES(s.mutex) {
    return s.flush_completed >= ticket || s.worker_finished;
  });
}

bool BatchSpanProcessor::shutdown(std::chrono::milliseconds timeout) noexcept {
  State& s = *state_;
  const Deadline deadline = s.clock.now() + timeout;
  {
    lumen::internal::MutexLock lock(s.mutex);
    if (s.stopping.exchange(true)) return s.worker_finished;
    s.stop_deadline = deadline;
  }
  // On timeout the exporter is stuck past the deadline: it is asked to abort, and the worker
  // finishes on its own (it holds its own reference to the state).
  const bool finished = worker_->stop(deadline);
  s.exporter->shutdown(deadline);
  return finished;
}

BatchSpanProcessorStats BatchSpanProcessor::stats() const noexcept {
  const State& s = *state_;
  return {s.queue.push_count(),
          s.dropped.load(),
          s.exported.load(std::memory_order_relaxed),
          s.export_failed.load(std::memory_order_relaxed),
          s.batches.load(std::memory_order_relaxed),
          s.queue.size_approx()};
}

}  // namespace lumen::trace
