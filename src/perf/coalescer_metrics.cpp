#include "perf/coalescer_shards.hpp"

namespace lumen::perf::detail {

CoalescerStats CoalescerShards::stats() const {
  CoalescerStats st;
  for (std::size_t i = 0; i < shard_count_; ++i) {
    Shard& s = shards_[i];
    st.executions += s.executions.load(std::memory_order_relaxed);
    st.coalesced += s.coalesced.load(std::memory_order_relaxed);
    st.hits += s.hits.load(std::memory_order_relaxed);
    st.bypasses += s.bypasses.load(std::memory_order_relaxed);
    st.evictions += s.evictions.load(std::memory_order_relaxed);
    st.expirations += s.expirations.load(std::memory_order_relaxed);
    st.stale_hits += s.stale_hits.load(std::memory_order_relaxed);
    std::lock_guard lock(s.mu);
    st.entries += s.entries.size();
  }
  st.errors = errors_.load(std::memory_order_relaxed);
  st.wait_timeouts = wait_timeouts_.load(std::memory_order_relaxed);
  st.shared_hits = shared_hits_.load(std::memory_order_relaxed);
  st.shared_errors = shared_errors_.load(std::memory_order_relaxed);
  st.shared_skipped = shared_skipped_.load(std::memory_order_relaxed);
  st.refresh_drops = refresh_drops_.load(std::memory_order_relaxed);
  st.in_flight = in_flight_.load(std::memory_order_relaxed);
  return st;
}

void CoalescerShards::register_metrics(metrics::Meter& meter) {
  struct Def {
    const char* name;
    const char* description;
    std::uint64_t CoalescerStats::*field;
  };
  static constexpr Def kCounters[] = {
      {"lumen.coalescer.executions", "Executions run by a leader", &CoalescerStats::executions},
      {"lumen.coalescer.coalesced", "Calls that shared another caller's execution",
       &CoalescerStats::coalesced},
      {"lumen.coalescer.hits", "Calls served from the cache", &CoalescerStats::hits},
      {"lumen.coalescer.stale_hits", "Calls served a stale value while it was refreshed",
       &CoalescerStats::stale_hits},
      {"lumen.coalescer.refresh_drops", "Background refreshes dropped (queue full)",
       &CoalescerStats::refresh_drops},
      {"lumen.coalescer.bypasses", "Calls run directly because max_pending keys were in flight",
       &CoalescerStats::bypasses},
      {"lumen.coalescer.errors", "Executions that threw", &CoalescerStats::errors},
      {"lumen.coalescer.wait_timeouts", "Waiters that gave up on the leader",
       &CoalescerStats::wait_timeouts},
      {"lumen.coalescer.shared_hits", "Executions answered by the shared cache",
       &CoalescerStats::shared_hits},
      {"lumen.coalescer.shared_errors", "Shared-cache failures (the function ran directly)",
       &CoalescerStats::shared_errors},
      {"lumen.coalescer.shared_skipped", "Shared-cache lookups skipped after a failure",
       &CoalescerStats::shared_skipped},
  };
  for (const Def& d : kCounters) {
    registrations_.push_back(meter.create_observable_counter(
        d.name,
        [this, field = d.field](metrics::ObserverResult& r) {
          r.observe(static_cast<std::int64_t>(stats().*field), {{"coalescer", opt_.name}});
        },
        {.description = d.description}));
  }
  registrations_.push_back(meter.create_observable_gauge(
      "lumen.coalescer.entries",
      [this](metrics::ObserverResult& r) {
        r.observe(static_cast<std::int64_t>(stats().entries), {{"coalescer", opt_.name}});
      },
      {.description = "Results cached now"}));
}

}  // namespace lumen::perf::detail
