#include "lumen/perf/resource_pool.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

#include "lumen/core/internal/mutex.hpp"
#include "lumen/metrics/meter.hpp"
#include "perf/longest_wait.hpp"

namespace lumen::perf::detail {

namespace {
struct Waiter {
  std::condition_variable cv;
  bool granted = false;
  void* resource = nullptr;  // granted with nullptr: the right to create one
};

}  // namespace

struct PoolCore::State {
  PoolOptions opt;
  std::function<void*()> create;
  void (*destroy)(void*);
  std::function<bool(void*)> validate;

  mutable lumen::internal::Mutex mu;
  std::vector<void*> idle LUMEN_GUARDED_BY(mu);      // back: the most recently returned
  std::deque<Waiter*> waiters LUMEN_GUARDED_BY(mu);  // front: the longest waiting
  std::size_t total LUMEN_GUARDED_BY(mu) = 0;        // alive or being created
  std::size_t in_use LUMEN_GUARDED_BY(mu) = 0;  // leased, or granted and being created/validated
  std::uint64_t created LUMEN_GUARDED_BY(mu) = 0;
  std::uint64_t destroyed LUMEN_GUARDED_BY(mu) = 0;
  std::uint64_t timeouts LUMEN_GUARDED_BY(mu) = 0;
  std::uint64_t acquired LUMEN_GUARDED_BY(mu) = 0;

  std::optional<metrics::BoundHistogram> wait_time;
  std::vector<metrics::ObservableRegistration> registrations;

  bool valid(void* r) const noexcept {
    try {
      return validate(r);
    } catch (...) {
      return false;  // a validator that throws has answered "broken"
    }
  }
  void destroy_one(void* r) noexcept {
    destroy(r);
    lumen::internal::MutexLock lock(mu);
    ++destroyed;
  }
  // Gives `r` (nullptr: the right to create one) to the longest waiter, counting it as in use.
  // False when nobody waits.
  bool hand_to_waiter_locked(void* r) LUMEN_REQUIRES(mu) {
    if (waiters.empty()) return false;
    Waiter* w = waiters.front();
    waiters.pop_front();
    w->granted = true;
    w->resource = r;
    ++in_use;
    w->cv.notify_one();
    return true;
  }
  // A lease's worth of capacity came free with nothing to hand over: the longest waiter may
  // create, or the pool shrinks.
  void free_slot_locked() LUMEN_REQUIRES(mu) {
    --in_use;
    if (!hand_to_waiter_locked(nullptr)) --total;
  }
  void top_up() noexcept {
    for (;;) {
      {
        lumen::internal::MutexLock lock(mu);
        if (total >= opt.min_idle || total >= opt.max_size || !waiters.empty()) return;
        ++total;
      }
      void* r = nullptr;
      try {
        r = create();
      } catch (...) {
        lumen::internal::MutexLock lock(mu);
        --total;
        return;  // the next acquire will try (and report) the factory again
      }
      lumen::internal::MutexLock lock(mu);
      ++created;
      if (!hand_to_waiter_locked(r)) idle.push_back(r);
    }
  }
};

PoolCore::PoolCore(PoolOptions options, std::function<void*()> create, void (*destroy)(void*),
                   std::function<bool(void*)> validate)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.opt = std::move(options);
  s.opt.max_size = std::max<std::size_t>(1, s.opt.max_size);
  s.opt.min_idle = std::min(s.opt.min_idle, s.opt.max_size);
  if (s.opt.clock == nullptr) s.opt.clock = &SystemClock::instance();
  s.opt.acquire_timeout =
      std::clamp(s.opt.acquire_timeout, std::chrono::nanoseconds(0), kLongestWait);
  s.create = std::move(create);
  s.destroy = destroy;
  s.validate = std::move(validate);
  if (s.opt.meter != nullptr) {
    metrics::Meter& m = *s.opt.meter;
    const std::string& name = s.opt.name;
    s.wait_time = m.create_histogram(
                       "lumen.pool.wait_time",
                       {.description = "Time acquire() waited for a resource",
                        .unit = "s",
                        .boundaries = {0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5}})
                      .bind({{"pool", name}});
    auto gauge = [&](const char* n, const char* d, auto field) {
      s.registrations.push_back(m.create_observable_gauge(
          n,
          [this, field](metrics::ObserverResult& r) {
            r.observe(static_cast<std::int64_t>(stats().*field), {{"pool", state_->opt.name}});
          },
          {.description = d}));
    };
    auto counter = [&](const char* n, const char* d, auto field) {
      s.registrations.push_back(m.create_observable_counter(
          n,
          [this, field](metrics::ObserverResult& r) {
            r.observe(static_cast<std::int64_t>(stats().*field), {{"pool", state_->opt.name}});
          },
          {.description = d}));
    };
    gauge("lumen.pool.in_use", "Resources leased out", &PoolStats::in_use);
    gauge("lumen.pool.idle", "Resources ready in the pool", &PoolStats::idle);
    gauge("lumen.pool.waiters", "Callers waiting in acquire()", &PoolStats::waiters);
    counter("lumen.pool.created", "Resources the factory created", &PoolStats::created);
    counter("lumen.pool.destroyed", "Resources destroyed as broken or invalid",
            &PoolStats::destroyed);
    counter("lumen.pool.timeouts", "acquire() calls that timed out", &PoolStats::timeouts);
  }
  s.top_up();
}

PoolCore::~PoolCore() {
  state_->registrations.clear();
  for (void* r : state_->idle) state_->destroy(r);
}

const PoolOptions& PoolCore::options() const noexcept {
  return state_->opt;
}

void* PoolCore::acquire(std::chrono::nanoseconds timeout) {
  State& s = *state_;
  const Clock& clock = *s.opt.clock;
  const Clock::TimePoint start = clock.now();
  const auto deadline = start + std::clamp(timeout, std::chrono::nanoseconds(0), kLongestWait);
  void* r = nullptr;
  {
    lumen::internal::UniqueLock lock(s.mu);
    if (!s.idle.empty()) {  // (idle resources and waiters never coexist: releases hand over)
      r = s.idle.back();
      s.idle.pop_back();
    } else if (s.total < s.opt.max_size) {
      ++s.total;  // ours to create
    } else {
      Waiter w;
      s.waiters.push_back(&w);
      if (!clock.wait_until(lock.native(), w.cv, deadline, [&] { return w.granted; })) {
        s.waiters.erase(std::find(s.waiters.begin(), s.waiters.end(), &w));
        ++s.timeouts;
        const std::size_t in_use = s.in_use;
        const std::size_t waiting = s.waiters.size();
        lock.unlock();
        const auto waited = clock.now() - start;
        if (s.wait_time) s.wait_time->record(std::chrono::duration<double>(waited).count());
        throw PoolTimeout(
            "pool '" + s.opt.name + "' stayed dry for " +
            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(waited).count()) +
            " ms: all " + std::to_string(s.opt.max_size) + " resources in use (" +
            std::to_string(in_use) + " leased, " + std::to_string(waiting) +
            " other callers waiting); raise max_size, return leases sooner, or raise "
            "acquire_timeout");
      }
      r = w.resource;
      --s.in_use;  // counted again below, once for every path
    }
    ++s.in_use;
  }
  // Validate outside the lock; an invalid resource is replaced using the same slot.
  if (r != nullptr && s.validate && s.opt.validate_on_acquire && !s.valid(r)) {
    s.destroy_one(r);
    r = nullptr;
  }
  const bool create = r == nullptr;
  if (create) {
    try {
      r = s.create();
    } catch (...) {
      lumen::internal::MutexLock lock(s.mu);
      s.free_slot_locked();
      throw;
    }
  }
  lumen::internal::MutexLock lock(s.mu);
  if (create) ++s.created;
  ++s.acquired;
  if (s.wait_time) {
    s.wait_time->record(std::chrono::duration<double>(clock.now() - start).count());
  }
  return r;
}

void PoolCore::release(void* resource, bool broken) noexcept {
  State& s = *state_;
  if (!broken && s.validate && s.opt.validate_on_release && !s.valid(resource)) broken = true;
  if (broken) {
    s.destroy_one(resource);
    {
      lumen::internal::MutexLock lock(s.mu);
      s.free_slot_locked();
    }
    s.top_up();
    return;
  }
  lumen::internal::MutexLock lock(s.mu);
  --s.in_use;
  if (!s.hand_to_waiter_locked(resource)) s.idle.push_back(resource);
}

PoolStats PoolCore::stats() const {
  const State& s = *state_;
  lumen::internal::MutexLock lock(s.mu);
  return {.in_use = s.in_use,
          .idle = s.idle.size(),
          .waiters = s.waiters.size(),
          .created = s.created,
          .destroyed = s.destroyed,
          .timeouts = s.timeouts,
          .acquired = s.acquired};
}

}  // namespace lumen::perf::detail
