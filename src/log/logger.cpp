#include "lumen/log/logger.hpp"

#include <algorithm>
#include <bit>
#include <condition_variable>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <variant>

#include "core/background_worker.hpp"
#include "core/nap.hpp"
#include "core/stderr_line.hpp"
#include "log/line_formatter.hpp"
#include "log/record.hpp"
#include "log/record_data.hpp"
#include "log/record_ring.hpp"
#include "log/repeat_limiter.hpp"
#include "lumen/core/context.hpp"
#include "lumen/core/error.hpp"
#include "lumen/core/fork_safety.hpp"
#include "lumen/core/internal/mutex.hpp"

namespace lumen::log {
namespace detail {

// How many slots ahead of its own a producer prefetches (RecordRing::prefetch_for_write): about
// the records it encodes while a cache line crosses from the writer's core.
constexpr std::uint64_t kPrefetchAhead = 3;
// How many slots ahead of the one it formats the writer prefetches (RecordRing::prefetch_for_read):
// the slots a producer on the other core wrote are then in cache when the writer reaches them
// (two ahead was faster than one or four in log_bench's end-to-end runs).
constexpr std::uint64_t kWriterPrefetchAhead = 2;

// How often an idle writer looks at the drop count, so that drops are reported without waiting
// for the next record.
constexpr std::chrono::milliseconds kIdleCheck{50};

// How long a writer that has caught up waits for more records before it writes them (see
// linger): the longest a record waits while records keep coming.
constexpr std::chrono::milliseconds kLingerNap{1};
// Every this many claims (or a quarter of a smaller ring, rounded down to a power of two) a
// producer cuts a lingering writer's nap short: a burst then overlaps with its writing, as it did
// when every record found the writer awake or woke it. A steady stream slower than this many
// records per nap never cuts it (the gateway's access log: about 130 a millisecond). Bursts of 1000
// records each followed by a flush took 172-175 ns a record with a cut only every quarter of the
// 8192-slot ring, 134-138 before the writer lingered.
constexpr std::size_t kCutNapEvery = 256;

// How long fork() waits for the writer's step, or a synchronous caller's write, to end.
constexpr std::chrono::seconds kForkWaitForWriter{2};

using lumen::detail::BackgroundWorker;
using lumen::detail::Nap;
using lumen::detail::WorkerEvent;

// Shared by the handles and the writer (a BackgroundWorker); a step in progress keeps it alive if
// shutdown gave up on it.
//
// fork(): the parent writes what it had queued; the child starts with an empty queue and a writer
// of its own, and writes its records to the same sinks (a file sink's file is then shared, opened
// for appending). So that the child inherits no record half-written, no sink mid-call and no sink
// buffer with the parent's lines in it, fork() waits for the writer's step to end (for up to
// kForkWaitForWriter: past that, a sink that hangs is left as it is) and, in synchronous mode, for
// the caller that is writing (as long, and then the child gets a fresh lock). It waits before
// other components take their locks for the fork, so a sink that needs one of them (a
// BatchLogSink waking its worker) can finish.
class LoggerCore final : public ForkAware {
 public:
  LoggerCore(LoggerOptions options, std::vector<std::shared_ptr<Sink>> sinks)
      : options_(std::move(options)),
        clock_(options_.clock ? options_.clock : &SystemClock::instance()),
        system_clock_(clock_ == &SystemClock::instance()),
        sinks_(std::move(sinks)),
        formatter_(options_),
        repeats_(options_.rate_limit_burst, options_.rate_limit_window),
        ring_(options_.asynchronous ? options_.queue_capacity : 1),
        cut_nap_mask_(
            std::bit_floor(std::clamp<std::size_t>(ring_.capacity() / 4, 1, kCutNapEvery)) - 1),
        sink_failed_(sinks_.size(), false),
        sink_refused_(sinks_.size(), 0),
        wants_data_(std::any_of(sinks_.begin(), sinks_.end(),
                                [](const auto& sink) { return sink->wants_data(); })) {
    level_.store(static_cast<std::uint8_t>(options_.level), std::memory_order_relaxed);
    // Before the writer's worker: a fork child runs the hooks in reverse order, so the worker
    // forgets its thread before after_fork_in_child empties the queue and starts it again.
    ForkRegistry::add(this);
  }

  // The step holds the core only while it runs (a weak reference in between), so the worker never
  // keeps its owner alive; a step that shutdown gave up on keeps it until that step returns, and
  // the core may then be destroyed on the writer's thread (the worker allows that).
  void start(const std::shared_ptr<LoggerCore>& self) {
    if (!options_.asynchronous) return;
    writer_running_.store(true, std::memory_order_release);
    writer_.emplace(
        lumen::detail::BackgroundWorkerOptions{
            .name = "lumen-log",
            .period = kIdleCheck,
            .restart_in_child = false,  // after_fork_in_child starts it
            // The worker asks this only before stop(), while the core lives. It is the writer's
            // half of the wake handshake: see submit().
            .has_work = [ring = &ring_] { return ring->size_approx() != 0; }},
        [weak = std::weak_ptr<LoggerCore>(self)](WorkerEvent event) {
          if (const std::shared_ptr<LoggerCore> core = weak.lock()) core->write(event);
        });
    if (!writer_->start()) throw Error("logger: could not start its writer thread");
  }

  // The worker stops with a join here unless shutdown() stopped it before (it always has when the
  // last handle went).
  ~LoggerCore() { ForkRegistry::remove(this); }
  LoggerCore(const LoggerCore&) = delete;
  LoggerCore& operator=(const LoggerCore&) = delete;

  // Unchecked: whether sync_mutex_ is held between the hooks depends on the wait's outcome.
  void wait_before_fork() noexcept override LUMEN_NO_THREAD_SAFETY_ANALYSIS {
    const auto give_up = std::chrono::steady_clock::now() + kForkWaitForWriter;
    fork_holds_writing_ = writing_.try_lock_until(give_up);
    // lumen::internal::Mutex has no timed lock; a fork is rare enough to poll for it.
    fork_holds_sync_ = sync_mutex_.try_lock();
    while (!fork_holds_sync_ && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      fork_holds_sync_ = sync_mutex_.try_lock();
    }
  }
  void before_fork() noexcept override LUMEN_ACQUIRE(mutex_) { mutex_.lock(); }
  void after_fork_in_parent() noexcept override LUMEN_NO_THREAD_SAFETY_ANALYSIS {
    mutex_.unlock();
    if (fork_holds_sync_) sync_mutex_.unlock();
    if (fork_holds_writing_) writing_.unlock();
  }
  void after_fork_in_child() noexcept override LUMEN_NO_THREAD_SAFETY_ANALYSIS {
    // Only this thread exists here. What was queued, or claimed by a thread that is gone, is the
    // parent's to write; a condition variable may still list the parent's waiters; if the wait
    // for the writer timed out, the thread that is gone holds writing_ or sync_mutex_.
    ring_.reset();
    new (&flushed_cv_) std::condition_variable();
    new (&space_cv_) std::condition_variable();
    new (&writing_) std::timed_mutex();
    nap_.reset_after_fork();
    if (!fork_holds_sync_) new (&sync_mutex_) lumen::internal::Mutex();
    waiters_.store(0, std::memory_order_relaxed);
    flushed_ = flush_requested_.load(std::memory_order_relaxed);
    mutex_.unlock();
    if (fork_holds_sync_) sync_mutex_.unlock();
    if (writer_ && !stopped_.load(std::memory_order_relaxed)) (void)writer_->start();
  }

  std::atomic<std::uint8_t> level_{0};

  void submit(Level level, std::string_view message, const Field* fields, std::size_t count,
              const std::string* bound) {
    if (stopped_.load(std::memory_order_relaxed)) return;
    if (!options_.asynchronous) {
      lumen::internal::MutexLock lock(sync_mutex_);
      fill(sync_slot_, level, message, fields, count, bound);
      if (handle(sync_slot_)) dispatch(formatted_);
      flush_sinks();
      return;
    }
    std::uint64_t pos = 0;
    Slot* s = ring_.try_claim(pos);
    if (s == nullptr) {
      const bool block = options_.overflow == OverflowPolicy::kBlock;
      s = block ? claim_waiting(pos, monotonic_ns() + block_timeout_ns()) : nullptr;
      if (s == nullptr) {
        // Dropped by policy or after waiting block_timeout; a stopped writer drops silently.
        if (!block || writer_running_.load(std::memory_order_relaxed)) {
          dropped_.fetch_add(1, std::memory_order_relaxed);
        }
        return;
      }
    }
    ring_.prefetch_for_write(pos, kPrefetchAhead);
    fill(*s, level, message, fields, count, bound);
    RecordRing::publish(*s, pos);
    // The claim above and this load are both sequentially consistent, and so are the writer's
    // "idle" store and its look at the ring (has_work): either this sees the writer idle, or the
    // writer sees the record. A busy writer costs the producer this one load. A lingering writer
    // is not idle: it comes back for the record within its nap, unless the ring fills faster.
    if (writer_->idle()) {
      writer_->wake();
    } else if (((pos + 1) & cut_nap_mask_) == 0) {
      nap_.cut_short();
    }
  }

  bool flush(std::chrono::milliseconds timeout) {
    const std::uint64_t deadline =
        monotonic_ns() + static_cast<std::uint64_t>(timeout.count()) * 1'000'000ULL;
    if (!options_.asynchronous) {
      lumen::internal::MutexLock lock(sync_mutex_);
      flush_sinks();
      return true;
    }
    if (!writer_running_.load(std::memory_order_acquire)) return ring_.size_approx() == 0;
    std::uint64_t pos = 0;
    Slot* s = ring_.try_claim(pos);
    if (s == nullptr) s = claim_waiting(pos, deadline);
    if (s == nullptr) return false;
    s->type = Slot::Type::kFlushMarker;
    const std::uint64_t seq = flush_requested_.fetch_add(1, std::memory_order_relaxed) + 1;
    s->marker = seq;
    RecordRing::publish(*s, pos);
    writer_->wake();
    nap_.cut_short();
    lumen::internal::UniqueLock lock(mutex_);
    const std::uint64_t now = monotonic_ns();
    return flushed_cv_.wait_for(lock.native(),
                                std::chrono::nanoseconds(deadline > now ? deadline - now : 0),
                                [&]() LUMEN_REQUIRES(mutex_) { return flushed_ >= seq; });
  }

  bool shutdown(std::chrono::milliseconds timeout) {
    if (stopped_.exchange(true)) return true;
    const Deadline deadline = std::chrono::steady_clock::now() + timeout;
    const bool flushed = flush(timeout);
    if (!writer_) return flushed;
    // The last step writes what a producer racing with shutdown still published. A sink that hangs
    // is left to the writer, which ends on its own once the sink returns (see start()).
    return writer_->stop(deadline) && flushed;
  }

  void request_reopen() noexcept { reopen_requested_.store(true, std::memory_order_relaxed); }

  LoggerStats stats() const noexcept {
    LoggerStats s;
    s.written = written_.load(std::memory_order_relaxed);
    s.dropped = dropped_.load(std::memory_order_relaxed);
    s.suppressed = suppressed_total_.load(std::memory_order_relaxed);
    s.sink_errors = sink_errors_.load(std::memory_order_relaxed);
    s.lost = lost_.load(std::memory_order_relaxed);
    return s;
  }

 private:
  std::uint64_t block_timeout_ns() const noexcept {
    return static_cast<std::uint64_t>(std::max<std::int64_t>(1, options_.block_timeout.count())) *
           1'000'000ULL;
  }

  // The ring is full: waits for a slot until `deadline_ns`, or until the writer is gone.
  // It parks at once rather than spinning: the writer frees slots in batches of up to kBatch and
  // wakes the waiters after each, so one park pays for many records. Spinning on sched_yield while
  // the writer ran on the other core cost the caller about 20 us of CPU per batch (a yield is a
  // system call that returns at once).
  Slot* claim_waiting(std::uint64_t& pos, std::uint64_t deadline_ns) {
    for (;;) {
      if (Slot* s = ring_.try_claim(pos)) return s;
      if (!writer_running_.load(std::memory_order_acquire)) return nullptr;
      if (monotonic_ns() >= deadline_ns) return nullptr;
      // Park until the writer frees slots; the timeout covers a notification that raced.
      waiters_.fetch_add(1, std::memory_order_seq_cst);
      if (writer_->idle()) writer_->wake();
      nap_.cut_short();
      {
        lumen::internal::UniqueLock lock(mutex_);
        space_cv_.wait_for(lock.native(), std::chrono::milliseconds(1),
                           [&] { return ring_.has_room(); });
      }
      waiters_.fetch_sub(1, std::memory_order_relaxed);
    }
  }

  void fill(Slot& s, Level level, std::string_view message, const Field* fields, std::size_t count,
            const std::string* bound) {
    s.type = Slot::Type::kLog;
    s.level = level;
    s.wall_ns = system_clock_ ? lumen::detail::tsc_wall_ns() : clock_->wall_ns();
    const SpanContext& span = Context::current().span();
    s.has_span = span.is_valid();
    if (s.has_span) {
      s.trace_id = span.trace_id();
      s.span_id = span.span_id();
      s.trace_flags = span.flags();
    }
    const std::size_t bound_size = bound != nullptr ? clamp_u32(bound->size()) : 0;
    // Most records fit the slot's own bytes: written there in one pass, sized as they go.
    if (bound_size <= sizeof s.inline_data) {
      char* const begin = s.inline_data;
      // NOLINTNEXTLINE(bugprone-not-null-terminated-result): a record's bytes, not a C string
      if (bound_size != 0) std::memcpy(begin, bound->data(), bound_size);
      if (const char* end = put_record_within(begin + bound_size, begin + sizeof s.inline_data,
                                              message, fields, count)) {
        s.bound_size = static_cast<std::uint32_t>(bound_size);
        s.size = static_cast<std::uint32_t>(end - begin);
        return;
      }
    }
    std::size_t body = encoded_size(message, fields, count);
    if (bound_size + body > std::numeric_limits<std::uint32_t>::max()) {
      // Over 4 GiB in one record: keep the message, cut to fit.
      message = message.substr(0, std::numeric_limits<std::uint32_t>::max() - bound_size - 4);
      count = 0;
      body = encoded_size(message, fields, count);
    }
    const std::size_t size = bound_size + body;
    char* p = s.data_for(size);
    // NOLINTNEXTLINE(bugprone-not-null-terminated-result): a record's bytes, not a C string
    if (bound_size != 0) std::memcpy(p, bound->data(), bound_size);
    put_record(p + bound_size, message, fields, count);
    s.bound_size = static_cast<std::uint32_t>(bound_size);
    s.size = static_cast<std::uint32_t>(size);
  }

  // The writer's step: writes what is queued until the ring is empty, then lingers while records
  // keep coming. The last step (kStop) also reports the drops not yet reported and flushes the
  // sinks once more.
  void write(WorkerEvent event) {
    const std::size_t taken = write_queued();
    // A step that found nothing (the idle check's tick) has no stream to wait for.
    if (event != WorkerEvent::kStop) {
      if (taken > 0) linger();
      return;
    }
    const std::lock_guard step(writing_);
    report_drops(true);
    flush_sinks();
    writer_running_.store(false, std::memory_order_release);
  }

  // Once caught up, the writer naps for kLingerNap and writes what came meanwhile, for as long as
  // each nap brings records; after a nap that brings none, it waits to be woken. While it lingers
  // it is not idle, so producers publish without waking it: under a steady stream (a server's
  // access log, a line per request) a writer that waited for a wake after every catch-up cost a
  // futex wake-up on the producer's side and a write to the sinks every few records (the gateway's
  // cache hits at 130,000 requests a second: 9,000 wake-ups a second). A flush, a shutdown, or
  // a burst of records (kCutNapEvery) cut the nap short.
  void linger() {
    while (!writer_->stopping()) {
      nap_.take(kLingerNap);
      if (ring_.size_approx() == 0) return;
      write_queued();
    }
  }

  // Writes what is queued until the ring is empty; returns how many slots it took.
  std::size_t write_queued() {
    const std::lock_guard step(writing_);  // see wait_before_fork
    // Records between two flushes of the sinks while the ring stays busy; the sinks are also
    // flushed whenever the writer catches up (the ring is empty) and at every flush marker.
    constexpr std::size_t kFlushEvery = 2048;
    constexpr std::size_t kBatch = 256;  // then the writer tells the waiting producers
    std::size_t taken = 0;
    for (;;) {
      std::size_t n = 0;
      std::uint64_t marker = 0;
      while (n < kBatch) {
        Slot* s = ring_.peek();
        if (s == nullptr) break;
        ring_.prefetch_for_read(kWriterPrefetchAhead);
        ++n;
        if (s->type == Slot::Type::kFlushMarker) {
          marker = s->marker;
          s->type = Slot::Type::kLog;
          ring_.release(*s);
          break;  // write and flush what came before the marker, then signal it
        }
        // The slot goes back before the sinks see the line: a slow sink then holds no slot.
        const bool formatted = handle(*s);
        ring_.release(*s);
        if (formatted) dispatch(formatted_);
      }
      if (n > 0 && waiters_.load(std::memory_order_seq_cst) > 0) {
        { lumen::internal::MutexLock lock(mutex_); }
        space_cv_.notify_all();
      }
      report_drops(false);
      if (marker != 0 || (n == 0 && unflushed_ > 0) || unflushed_ >= kFlushEvery) flush_sinks();
      if (marker != 0) {
        {
          lumen::internal::MutexLock lock(mutex_);
          flushed_ = std::max(flushed_, marker);
        }
        flushed_cv_.notify_all();
      }
      taken += n;
      if (n > 0) continue;
      // Caught up. A record claimed but not yet published is moments away: yield for it.
      // Otherwise the worker waits for the next wake (or its idle check).
      if (ring_.size_approx() == 0) return taken;
      std::this_thread::yield();
    }
  }

  // Formats one record into formatted_ unless the rate limiter suppresses it.
  bool handle(const Slot& s) {
    Reader reader(s.record());
    const std::string_view message = reader.str();
    if (options_.rate_limit_burst > 0) {
      const RepeatLimiter::Verdict v = repeats_.check(s.level, message, s.wall_ns);
      if (v.suppressed_in_last_window > 0)
        emit_suppressed(s.level, message, v.suppressed_in_last_window, s.wall_ns);
      if (!v.allow) {
        suppressed_total_.fetch_add(1, std::memory_order_relaxed);
        return false;
      }
    }
    const Reader fields = reader;
    formatter_.format(s.level, s.wall_ns, message, &s, reader, formatted_);
    formatted_.data = nullptr;
    if (wants_data_) {
      describe(message, s.bound(), fields, s.has_span ? &s : nullptr);
      formatted_.data = &data_;
    }
    return true;
  }

  // Fills data_ for the sinks that want records as data; `fields` is at the record's first field.
  void describe(std::string_view message, std::string_view bound, Reader fields, const Slot* span) {
    data_.message = message;
    data_.trace_id = span != nullptr ? span->trace_id : TraceId();
    data_.span_id = span != nullptr ? span->span_id : SpanId();
    data_.trace_flags = span != nullptr ? span->trace_flags : 0;
    data_.attributes.clear();
    Reader bound_reader(bound);
    read_attributes(bound_reader, formatter_.redactor(), data_.attributes);
    read_attributes(fields, formatter_.redactor(), data_.attributes);
  }

  void dispatch(const FormattedRecord& fr) {
    bool failed = false;
    for (std::size_t i = 0; i < sinks_.size(); ++i) {
      if (!sinks_[i]->write(fr)) {
        ++sink_refused_[i];
        failed = true;
        sink_failure(i);
      }
    }
    if (failed) count_lost();
    // One writer (or the sync mutex's holder) counts: no read-modify-write needed.
    written_.store(written_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    ++unflushed_;
  }

  void emit_suppressed(Level level, std::string_view message, std::uint64_t count,
                       std::uint64_t now_ns) {
    const Field fields[] = {{"suppressed", count}, {"suppressed_message", message}};
    emit_own(level, now_ns, "repeated log messages suppressed", fields, 2);
  }

  void report_drops(bool force) {
    const std::uint64_t dropped = dropped_.load(std::memory_order_relaxed);
    if (dropped == reported_dropped_) return;
    const std::uint64_t now = clock_->monotonic_ns();
    const auto interval =
        static_cast<std::uint64_t>(options_.drop_report_interval.count()) * 1'000'000ULL;
    if (!force && last_drop_report_ != 0 && now - last_drop_report_ < interval) return;
    last_drop_report_ = now;
    const Field fields[] = {{"dropped", dropped - reported_dropped_}, {"dropped_total", dropped}};
    reported_dropped_ = dropped;
    emit_own(Level::kWarn, clock_->wall_ns(), "log records dropped: queue full", fields, 2);
  }

  // A line the logger writes about itself.
  void emit_own(Level level, std::uint64_t wall_ns, std::string_view message, const Field* fields,
                std::size_t count) {
    const std::string encoded = encode(message, fields, count);
    Reader reader(encoded);
    const std::string_view m = reader.str();
    const Reader field_reader = reader;
    FormattedRecord line{};
    formatter_.format(level, wall_ns, m, nullptr, reader, line);
    if (wants_data_) {
      describe(m, {}, field_reader, nullptr);
      line.data = &data_;
    }
    dispatch(line);
  }

  void flush_sinks() {
    unflushed_ = 0;
    if (reopen_requested_.exchange(false, std::memory_order_relaxed)) {
      for (const auto& sink : sinks_) sink->reopen();
    }
    for (std::size_t i = 0; i < sinks_.size(); ++i) {
      if (!sinks_[i]->flush()) sink_failure(i);
    }
    count_lost();
  }

  // Sinks are called on this thread only, so their counts are gathered here for stats().
  void count_lost() {
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < sinks_.size(); ++i) {
      total += sinks_[i]->lost().value_or(sink_refused_[i]);
    }
    lost_.store(total, std::memory_order_relaxed);
  }

  void sink_failure(std::size_t i) {
    sink_errors_.fetch_add(1, std::memory_order_relaxed);
    if (sink_failed_[i]) return;
    sink_failed_[i] = true;
    lumen::detail::write_stderr_line("lumen log: sink " + sinks_[i]->name() + " failed (" +
                                     sinks_[i]->last_error() +
                                     "); further failures are only counted");
  }

  LoggerOptions options_;
  const Clock* clock_;
  const bool system_clock_;  // clock_ is SystemClock::instance(): its TSC read is inlined
  std::vector<std::shared_ptr<Sink>> sinks_;
  LineFormatter formatter_;  // writer-only, but format_fields() is const and thread-safe
  RepeatLimiter repeats_;    // writer-only

  RecordRing ring_;
  // A producer whose claim ends on these bits at zero cuts a lingering writer's nap short (see
  // kCutNapEvery): a mask, not a division, on every record's path.
  const std::uint64_t cut_nap_mask_;
  Nap nap_;

  // Held by the writer for each step, and by fork() (see wait_before_fork).
  std::timed_mutex writing_;
  // The forking thread's, between its fork hooks: whether it holds writing_ and sync_mutex_.
  bool fork_holds_writing_ = false;
  bool fork_holds_sync_ = false;

  lumen::internal::Mutex mutex_;
  std::condition_variable flushed_cv_;
  std::condition_variable space_cv_;
  std::atomic<int> waiters_{0};
  std::uint64_t flushed_ LUMEN_GUARDED_BY(mutex_) = 0;
  std::atomic<std::uint64_t> flush_requested_{0};
  std::atomic<bool> stopped_{false};
  std::atomic<bool> writer_running_{false};
  std::atomic<bool> reopen_requested_{false};  // set from signal handlers
  static_assert(std::atomic<bool>::is_always_lock_free);

  lumen::internal::Mutex sync_mutex_;
  Slot sync_slot_ LUMEN_GUARDED_BY(sync_mutex_);

  // Writer-only state (or under sync_mutex_ in synchronous mode).
  RecordData data_;  // for the sinks that want records as data
  FormattedRecord formatted_{};
  std::size_t unflushed_ = 0;
  std::vector<bool> sink_failed_;
  std::vector<std::uint64_t> sink_refused_;  // write() returned false, per sink
  const bool wants_data_;                    // some sink wants records as data
  std::uint64_t reported_dropped_ = 0;
  std::uint64_t last_drop_report_ = 0;

  std::atomic<std::uint64_t> written_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> suppressed_total_{0};
  std::atomic<std::uint64_t> sink_errors_{0};
  std::atomic<std::uint64_t> lost_{0};

  // Last, so that it stops (a join, unless shutdown() stopped it) before the state its step uses
  // is destroyed. None in synchronous mode.
  std::optional<BackgroundWorker> writer_;
};

}  // namespace detail

namespace {
struct CoreOwner {
  CoreOwner(std::shared_ptr<detail::LoggerCore> c, std::chrono::milliseconds t)
      : core(std::move(c)), timeout(t) {}
  CoreOwner(const CoreOwner&) = delete;
  CoreOwner& operator=(const CoreOwner&) = delete;
  ~CoreOwner() { core->shutdown(timeout); }
  std::shared_ptr<detail::LoggerCore> core;
  std::chrono::milliseconds timeout;
};
}  // namespace

LoggerOptions LoggerOptions::from_environment(const Environment& env, const Resource& resource) {
  LoggerOptions o;
  if (auto text = env.get("LOG_LEVEL")) {
    auto level = parse_level(*text);
    if (!level) {
      throw Error("LOG_LEVEL='" + *text +
                  "' is not a log level; use trace, debug, info, warn, error, fatal or off");
    }
    o.level = *level;
  }
  o.service = resource.service_name();
  if (const auto* env_name = resource.attributes().find("deployment.environment")) {
    if (const auto* s = std::get_if<std::string>(env_name)) o.environment = *s;
  }
  return o;
}

Logger::Logger(LoggerOptions options, std::vector<std::shared_ptr<Sink>> sinks) {
  if (options.queue_capacity == 0) throw Error("LoggerOptions.queue_capacity must be at least 1");
  const auto timeout = options.shutdown_timeout;
  auto core = std::make_shared<detail::LoggerCore>(std::move(options), std::move(sinks));
  core->start(core);
  // The owner shuts down when the last handle goes; handles point into the core through it.
  auto owner = std::make_shared<CoreOwner>(core, timeout);
  core_ = std::shared_ptr<detail::LoggerCore>(owner, core.get());
  level_ = &core_->level_;
}

void Logger::submit(Level level, std::string_view message, const Field* fields, std::size_t count) {
  core_->submit(level, message, fields, count, bound_.get());
}

void Logger::fatal(std::string_view m, std::initializer_list<Field> f) {
  log(Level::kFatal, m, f);
  (void)flush(std::chrono::seconds(1));
}

Logger Logger::child(std::initializer_list<Field> fields) const {
  Logger c = *this;
  // Encoded like a record's fields: the writer formats (and redacts) them with each record.
  std::string bound = bound_ ? *bound_ : std::string();
  std::size_t size = 0;
  for (const Field& f : fields) size += detail::encoded_size(f);
  std::size_t at = bound.size();
  bound.resize(at + size);
  for (const Field& f : fields) {
    char* end = detail::put_field(bound.data() + at, f);
    at = static_cast<std::size_t>(end - bound.data());
  }
  c.bound_ = std::make_shared<const std::string>(std::move(bound));
  return c;
}

bool Logger::flush(Timeout timeout) {
  return core_->flush(timeout);
}
bool Logger::shutdown(Timeout timeout) {
  return core_->shutdown(timeout);
}
void Logger::reopen() noexcept {
  core_->request_reopen();
}
LoggerStats Logger::stats() const noexcept {
  return core_->stats();
}

}  // namespace lumen::log
