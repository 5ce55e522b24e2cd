// The process-wide state behind lumen::global: the installations, in order, and the no-ops.
#include "lumen/global.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <utility>
#include <vector>

#include "lumen/core/internal/mutex.hpp"
#include "lumen/trace/sampler.hpp"

namespace lumen::global {

struct Installation::Record {
  std::shared_ptr<trace::TracerProvider> tracers;
  std::shared_ptr<metrics::MeterProvider> meters;
  std::optional<log::Logger> logger;
  propagation::Propagator propagator;
  bool handed_out = false;  // a Tracer& or Meter& into the providers left the global
};

namespace {

trace::TracerProvider* make_noop_tracers() {
  auto* provider = new trace::TracerProvider({.sampler = trace::Sampler::always_off()});
  // Shut down, a tracer skips even the sampler: a span costs its ids and nothing else.
  provider->shutdown();
  return provider;
}

log::Logger make_noop_logger() {
  // Synchronous: no writer thread; level off and no sinks: nothing is formatted or written.
  log::LoggerOptions options;
  options.level = log::Level::kOff;
  options.asynchronous = false;
  options.queue_capacity = 1;
  return log::Logger(std::move(options), {});
}

struct State {
  lumen::internal::Mutex mutex;
  // Live installations, oldest first; the last is the one handed out.
  std::vector<std::unique_ptr<Installation::Record>> live LUMEN_GUARDED_BY(mutex);
  // Uninstalled records whose providers were handed out: kept so that no reference dangles.
  std::vector<std::unique_ptr<Installation::Record>> kept LUMEN_GUARDED_BY(mutex);
  // live.size(), read without the lock so that the no-op path takes only the no-op's own lock.
  std::atomic<std::size_t> live_count{0};

  trace::TracerProvider* noop_tracers = make_noop_tracers();
  metrics::Meter noop_meter = metrics::Meter::noop("noop");
  log::Logger noop_logger = make_noop_logger();
};

// Never destroyed: a library may use the global from another static's destructor, and the kept
// providers may be referenced until the very end of the process.
State& state() {
  static State* s = new State();
  return *s;
}

// The record handed out now, or null.
Installation::Record* current(State& s) LUMEN_REQUIRES(s.mutex) {
  return s.live.empty() ? nullptr : s.live.back().get();
}

}  // namespace

trace::Tracer& tracer(std::string_view name, std::string_view version) {
  State& s = state();
  if (s.live_count.load(std::memory_order_acquire) != 0) {
    lumen::internal::MutexLock lock(s.mutex);
    if (Installation::Record* r = current(s); r != nullptr && r->tracers) {
      r->handed_out = true;
      return r->tracers->tracer(name, version);
    }
  }
  return s.noop_tracers->tracer(name, version);
}

metrics::Meter& meter(std::string_view name) {
  State& s = state();
  if (s.live_count.load(std::memory_order_acquire) != 0) {
    lumen::internal::MutexLock lock(s.mutex);
    if (Installation::Record* r = current(s); r != nullptr && r->meters) {
      r->handed_out = true;
      return r->meters->meter(name);
    }
  }
  return s.noop_meter;
}

log::Logger logger() {
  State& s = state();
  if (s.live_count.load(std::memory_order_acquire) != 0) {
    lumen::internal::MutexLock lock(s.mutex);
    if (Installation::Record* r = current(s); r != nullptr && r->logger) return *r->logger;
  }
  return s.noop_logger;
}

propagation::Propagator propagator() {
  State& s = state();
  if (s.live_count.load(std::memory_order_acquire) != 0) {
    lumen::internal::MutexLock lock(s.mutex);
    if (Installation::Record* r = current(s); r != nullptr) return r->propagator;
  }
  return {};
}

bool installed() noexcept {
  return state().live_count.load(std::memory_order_acquire) != 0;
}

Installation::Installation(std::shared_ptr<trace::TracerProvider> tracers,
                           std::shared_ptr<metrics::MeterProvider> meters,
                           std::optional<log::Logger> logger, propagation::Propagator propagator)
    : record_(nullptr) {
  auto record = std::make_unique<Record>();
  record->tracers = std::move(tracers);
  record->meters = std::move(meters);
  record->logger = std::move(logger);
  record->propagator = propagator;
  record_ = record.get();
  State& s = state();
  lumen::internal::MutexLock lock(s.mutex);
  s.live.push_back(std::move(record));
  s.live_count.store(s.live.size(), std::memory_order_release);
}

bool Installation::uninstall() noexcept {
  if (record_ == nullptr) return false;
  State& s = state();
  // Released after the lock: either may hold the last owner, whose destructor takes time.
  std::unique_ptr<Record> record;
  std::optional<log::Logger> logger;
  bool kept = false;
  {
    lumen::internal::MutexLock lock(s.mutex);
    const auto it = std::find_if(s.live.begin(), s.live.end(),
                                 [&](const auto& r) { return r.get() == record_; });
    if (it != s.live.end()) {
      record = std::move(*it);
      s.live.erase(it);
      s.live_count.store(s.live.size(), std::memory_order_release);
      // The logger was only ever handed out as a copy: nothing needs the record to keep it.
      logger = std::move(record->logger);
      record->logger.reset();
      kept = record->handed_out;
      if (kept) s.kept.push_back(std::move(record));
    }
  }
  record_ = nullptr;
  return kept;
}

}  // namespace lumen::global
