#include "lumen/metrics/periodic_reader.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>

#include "core/background_worker.hpp"
#include "lumen/core/error.hpp"
#include "lumen/core/internal/mutex.hpp"
#include "lumen/metrics/temporality.hpp"

namespace lumen::metrics {
namespace {

using Steady = std::chrono::steady_clock;

// How long shutdown waits for the export it aborted to end, before leaving the worker behind.
constexpr auto kAbortGrace = std::chrono::milliseconds(200);

}  // namespace

struct PeriodicMetricReader::State {
  explicit State(const Clock& c) : clock(c) {}

  const Clock& clock;
  MeterProvider* provider;
  std::shared_ptr<MetricExporter> exporter;
  PeriodicMetricReaderOptions options;
  DeltaConverter delta;  // worker thread only

  std::atomic<std::uint64_t> exports{0};
  std::atomic<std::uint64_t> failures{0};
  std::atomic<std::uint64_t> last_duration_ns{0};

  lumen::internal::Mutex mutex;
  std::condition_variable done;
  // On-demand exports asked for (flush, shutdown).
  std::uint64_t requested LUMEN_GUARDED_BY(mutex) = 0;
  std::uint64_t completed LUMEN_GUARDED_BY(mutex) = 0;  // on-demand exports finished
  // The result of the on-demand export numbered `completed`.
  bool last_ok LUMEN_GUARDED_BY(mutex) = false;
  Deadline request_deadline LUMEN_GUARDED_BY(mutex) = Deadline::max();
  bool stopping LUMEN_GUARDED_BY(mutex) = false;
  bool worker_exited LUMEN_GUARDED_BY(mutex) = false;

  // One collection and export; never throws.
  bool export_once(Deadline deadline) noexcept {
    const auto start = Steady::now();
    bool ok = false;
    try {
      MetricsSnapshot snapshot = provider->collect();
      delta.convert(snapshot, [this](InstrumentKind k) { return exporter->temporality(k); });
      ok = exporter->export_metrics(snapshot, deadline) == MetricExportResult::kSuccess;
    } catch (...) {  // out of memory while collecting: count it as a failure
      ok = false;
    }
    exports.fetch_add(1, std::memory_order_relaxed);
    if (!ok) failures.fetch_add(1, std::memory_order_relaxed);
    last_duration_ns.store(
        static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(Steady::now() - start).count()),
        std::memory_order_relaxed);
    return ok;
  }

  // The worker's step: a periodic export on a tick, an on-demand one when flush or shutdown asked.
  void step(lumen::detail::WorkerEvent event) noexcept {
    lumen::internal::UniqueLock lock(mutex);
    const bool on_demand = requested > completed;
    // Once shutdown has begun, only the export it asked for is made.
    if (on_demand || (event == lumen::detail::WorkerEvent::kTick && !stopping)) {
      const std::uint64_t generation = requested;
      const Deadline deadline =
          std::min(clock.now() + options.timeout, on_demand ? request_deadline : Deadline::max());
      lock.unlock();
      const bool ok = export_once(deadline);
      lock.lock();
      if (on_demand) {
        completed = generation;
        last_ok = ok;
        done.notify_all();
      }
    }
    if (event == lumen::detail::WorkerEvent::kStop) {
      worker_exited = true;
      done.notify_all();
    }
  }
};

PeriodicMetricReader::PeriodicMetricReader(MeterProvider& provider,
                                           std::shared_ptr<MetricExporter> exporter,
                                           PeriodicMetricReaderOptions options) {
  if (exporter == nullptr) throw Error("PeriodicMetricReader needs an exporter (got null)");
  if (options.interval.count() <= 0) {
    throw Error("metric export interval must be positive (OTEL_METRIC_EXPORT_INTERVAL, in ms)");
  }
  if (options.timeout.count() <= 0) {
    throw Error("metric export timeout must be positive (OTEL_METRIC_EXPORT_TIMEOUT, in ms)");
  }
  state_ = std::make_shared<State>(clock_or_system(options.clock));
  state_->provider = &provider;
  state_->exporter = std::move(exporter);
  state_->options = options;
  if (options.self_metrics) {
    Meter& meter = provider.meter("lumen");
    std::weak_ptr<State> weak = state_;
    exports_metric_ = meter.create_observable_counter(
        "lumen.metric_export.count",
        [weak](ObserverResult& r) {
          if (auto s = weak.lock()) r.observe(static_cast<std::int64_t>(s->exports.load()));
        },
        {.description = "Metric exports attempted by the periodic reader"});
    failures_metric_ = meter.create_observable_counter(
        "lumen.metric_export.failures",
        [weak](ObserverResult& r) {
          if (auto s = weak.lock()) r.observe(static_cast<std::int64_t>(s->failures.load()));
        },
        {.description = "Metric exports that failed or did not finish by their deadline"});
    duration_metric_ = meter.create_observable_gauge(
        "lumen.metric_export.duration",
        [weak](ObserverResult& r) {
          if (auto s = weak.lock(); s && s->exports.load() > 0) {
            r.observe(static_cast<double>(s->last_duration_ns.load()) / 1e9);
          }
        },
        {.description = "Duration of the last metric export, collection included", .unit = "s"});
  }
  // The worker never collects again once a shutdown has given up on it: the caller may destroy the
  // provider as soon as shutdown returns.
  worker_ = std::make_unique<lumen::detail::BackgroundWorker>(
      lumen::detail::BackgroundWorkerOptions{
          .name = "lumen-metrics", .period = options.interval, .clock = &state_->clock},
      [s = state_](lumen::detail::WorkerEvent event) { s->step(event); });
  if (!worker_->start()) throw Error("PeriodicMetricReader could not start its thread");
}

PeriodicMetricReader::~PeriodicMetricReader() {
  exports_metric_.reset();
  failures_metric_.reset();
  duration_metric_.reset();
  shutdown(std::chrono::seconds(5));
}

bool PeriodicMetricReader::force_flush(std::chrono::milliseconds timeout) {
  State& s = *state_;
  const Deadline deadline = s.clock.now() + timeout;
  lumen::internal::UniqueLock lock(s.mutex);
  if (s.stopping) return false;
  const std::uint64_t generation = ++s.requested;
  s.request_deadline = deadline;
  lock.unlock();
  worker_->wake();
  lock.lock();
  if (!s.clock.wait_until(lock.native(), s.done, deadline, [&]() LUMEN_REQUIRES(s.mutex) {
        return s.completed >= generation || s.worker_exited;
      })) {
    return false;
  }
  return s.completed >= generation && s.last_ok;
}

bool PeriodicMetricReader::shutdown(std::chrono::milliseconds timeout) {
  State& s = *state_;
  const Deadline deadline = s.clock.now() + timeout;
  std::uint64_t generation;
  {
    lumen::internal::MutexLock lock(s.mutex);
    if (s.stopping) return false;
    s.stopping = true;
    generation = ++s.requested;
    s.request_deadline = deadline;
  }
  worker_->wake();
  bool exported;
  {
    lumen::internal::UniqueLock lock(s.mutex);
    const auto finished = [&]() LUMEN_REQUIRES(s.mutex) { return s.completed >= generation; };
    exported = s.clock.wait_until(lock.native(), s.done, deadline, finished);
    if (!exported) {
      // The export ignores its deadline (or the collector hangs it): abort it and give the worker
      // a moment to see that, so that what it reports about the failure (to a sink the caller may
      // destroy as soon as this returns) is reported before shutdown returns.
      lock.unlock();
      s.exporter->shutdown(s.clock.now());
      lock.lock();
      exported = s.clock.wait_until(lock.native(), s.done, s.clock.now() + kAbortGrace, finished);
    }
  }
  if (!exported) {
    // Left behind; it holds its own reference to the state and never steps again.
    (void)worker_->stop(s.clock.now());
    s.failures.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  // The export asked for has been made: the worker's last step has nothing left to do.
  const bool stopped = worker_->stop(s.clock.now() + kAbortGrace);
  lumen::internal::UniqueLock lock(s.mutex);
  const bool ok = s.last_ok && stopped;
  lock.unlock();
  s.exporter->shutdown(s.clock.now() + timeout);
  return ok;
}

PeriodicMetricReaderStats PeriodicMetricReader::stats() const noexcept {
  return {.exports = state_->exports.load(std::memory_order_relaxed),
          .failures = state_->failures.load(std::memory_order_relaxed),
          .last_export_duration_ns = state_->last_duration_ns.load(std::memory_order_relaxed)};
}

}  // namespace lumen::metrics
