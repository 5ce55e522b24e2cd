// The request coalescer's engine behind CoalescerCore: the key-hashed shards that each hold a
// cache of results and the flights in progress (single-flight), the background refresh of stale
// entries, the shared cache's guard, and the statistics. Private to src/perf.
//
// Files: coalescer_shards.cpp (lookups, flights, the cache, invalidation), coalescer_refresh.cpp
// (stale-while-revalidate's thread), coalescer_shared_cache.cpp (the cross-process cache, with a
// back-off after a failure), coalescer_metrics.cpp (stats and observable instruments).
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/background_worker.hpp"
#include "lumen/core/context.hpp"
#include "lumen/core/internal/mutex.hpp"
#include "lumen/metrics/meter.hpp"
#include "lumen/perf/request_coalescer.hpp"
#include "perf/entry_table.hpp"
#include "perf/ticking_clock.hpp"

namespace lumen::perf::detail {

// One execution in progress, shared by its leader and its waiters.
struct Flight {
  lumen::internal::Mutex mu;
  std::condition_variable cv;
  bool done LUMEN_GUARDED_BY(mu) = false;
  std::shared_ptr<const void> value LUMEN_GUARDED_BY(mu);
  std::exception_ptr error LUMEN_GUARDED_BY(mu);
  SpanContext leader_span LUMEN_GUARDED_BY(mu);
  bool cacheable = true;  // guarded by the shard's mutex; an invalidate during the flight clears it
  std::vector<std::function<void()>> callbacks
      LUMEN_GUARDED_BY(mu);  // asynchronous waiters, called once done
};

struct HashedKey {
  std::string_view key;
  std::size_t hash;
};

// A stored key keeps its hash: libstdc++ treats a user-defined hasher as cheap and so does not
// cache hash codes in the nodes, which makes every bucket walk rehash neighbouring keys.
struct StoredKey {
  std::string key;
  std::size_t hash;
};

inline std::size_t hash_of(std::string_view s) noexcept {
  return hash_key(s);
}

// Transparent, so that a lookup hashes the caller's string_view once and never copies it.
struct KeyHash {
  using is_transparent = void;
  std::size_t operator()(const StoredKey& k) const noexcept { return k.hash; }
  std::size_t operator()(const HashedKey& k) const noexcept { return k.hash; }
};
struct KeyEq {
  using is_transparent = void;
  bool operator()(const StoredKey& a, const StoredKey& b) const noexcept {
    return a.hash == b.hash && a.key == b.key;
  }
  bool operator()(const HashedKey& a, const StoredKey& b) const noexcept {
    return a.hash == b.hash && a.key == b.key;
  }
  bool operator()(const StoredKey& a, const HashedKey& b) const noexcept {
    return a.hash == b.hash && a.key == b.key;
  }
};

// Counters written only under the shard's mutex: a plain load and store, no locked instruction;
// atomic only so that stats() may read them without the lock.
inline void bump(std::atomic<std::uint64_t>& c) noexcept {
  c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

struct alignas(64) Shard {
  ShardLock mu;
  std::atomic<std::uint64_t> hits{0};  // on the mutex's cache line: a hit touches one line less
  // Exact LRU would move an entry on every hit, which costs the hit path several cache misses:
  // entries keep insertion order and a second-chance flag (CLOCK) instead. The table's members
  // that a lookup reads (mask, size, slot and entry arrays) come first, on the lock's line.
  EntryTable entries;
  std::unordered_map<StoredKey, std::shared_ptr<Flight>, KeyHash, KeyEq> flights;
  std::atomic<std::uint64_t> executions{0};
  std::atomic<std::uint64_t> coalesced{0};
  std::atomic<std::uint64_t> bypasses{0};
  std::atomic<std::uint64_t> evictions{0};
  std::atomic<std::uint64_t> expirations{0};
  std::atomic<std::uint64_t> stale_hits{0};
};

// A background refresh (stale-while-revalidate) waiting for the refresh thread.
struct RefreshTask {
  std::string key;
  CoalescerCore::Ticket ticket;
  std::function<std::shared_ptr<const void>()> work;
  Context context;  // the caller's: the refresh's span joins its trace
};

inline constexpr std::size_t kMaxQueuedRefreshes = 1024;

// A power of two (the hit path picks a shard with a mask, not a division), and never more shards
// than entries, so that the per-shard bounds add up to at most max_entries.
inline std::size_t shard_count(const CoalescerOptions& o) noexcept {
  std::size_t n = std::bit_floor(std::max<std::size_t>(1, o.shards));
  while (o.max_entries != 0 && n > o.max_entries) n /= 2;
  return std::max<std::size_t>(1, n);
}

inline std::uint64_t to_ns(std::chrono::nanoseconds d) noexcept {
  return d.count() <= 0 ? 0 : static_cast<std::uint64_t>(d.count());
}

class CoalescerShards {
 public:
  CoalescerShards(CoalescerOptions options, const ValueOps& ops)
      : opt_(std::move(options)),
        ttl_ns_(to_ns(opt_.ttl)),
        shard_count_(shard_count(opt_)),
        per_shard_capacity_(opt_.max_entries / shard_count_),
        shards_(new Shard[shard_count_]) {
    for (std::size_t i = 0; i < shard_count_; ++i) shards_[i].entries.set_value_ops(&ops);
    if (opt_.meter != nullptr) register_metrics(*opt_.meter);
  }
  ~CoalescerShards() {
    registrations_.clear();
    // Joined: the step works on this object. A refresh in progress finishes first.
    (void)refresh_worker_.stop(Deadline::max());
  }

  CoalescerCore::Ticket begin(std::string_view key, void* out, CopyOut copy);
  bool lookup(std::string_view key, void* out, CopyOut copy);
  std::shared_ptr<const void> execute(std::string_view key, CoalescerCore::Ticket& ticket,
                                      Produce produce, void* fn);
  Context start_execution(std::string_view key, CoalescerCore::Ticket& ticket,
                          const Context& parent);
  std::shared_ptr<const void> end_execution(std::string_view key, CoalescerCore::Ticket& ticket,
                                            std::shared_ptr<const void> value,
                                            std::exception_ptr error);
  void on_done(CoalescerCore::Ticket& ticket, std::function<void()> callback);
  void wait(CoalescerCore::Ticket& ticket, void* out, CopyOut copy);
  std::size_t invalidate_if(const std::function<bool(std::string_view)>& match);
  std::size_t invalidate_key(std::string_view key);
  std::size_t purge_expired();
  CoalescerStats stats() const;

  bool has_shared() const noexcept { return opt_.shared_cache != nullptr; }
  std::optional<std::string> shared_load(std::string_view key);
  void shared_store(std::string_view key, std::string_view bytes);
  void shared_codec_failed() noexcept { shared_errors_.fetch_add(1, std::memory_order_relaxed); }
  void count_wait_timeout() noexcept { wait_timeouts_.fetch_add(1, std::memory_order_relaxed); }
  [[nodiscard]] std::chrono::nanoseconds wait_timeout() const noexcept { return opt_.wait_timeout; }
  // Runs an erase on the shared cache; a failure is counted, never thrown.
  void shared_erase(const std::function<void(ResultCache&)>& erase) noexcept;
  void refresh(std::string_view key, CoalescerCore::Ticket ticket,
               std::function<std::shared_ptr<const void>()> work);

 private:
  Shard& shard_for(std::size_t hash) const noexcept {
    // High bits: the maps inside use the low ones for their buckets.
    return shards_[(hash >> 40) & (shard_count_ - 1)];
  }
  std::uint64_t now() const noexcept {
    return opt_.clock != nullptr ? opt_.clock->monotonic_ns() : ticking_monotonic_ns();
  }
  bool caching() const noexcept { return ttl_ns_ > 0 && per_shard_capacity_ > 0; }
  // When an entry is gone for good: its ttl plus the stale grace period.
  std::uint64_t dead_at(const CacheEntry& e) const noexcept { return e.expires_ns + grace_ns_; }
  void refresh_step(lumen::detail::WorkerEvent event);
  bool shared_usable() noexcept {
    const std::uint64_t until = shared_down_until_.load(std::memory_order_relaxed);
    if (until == 0 || now() >= until) return true;
    shared_skipped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  void shared_failed() noexcept {
    shared_errors_.fetch_add(1, std::memory_order_relaxed);
    shared_down_until_.store(std::max<std::uint64_t>(1, now() + shared_retry_ns_),
                             std::memory_order_relaxed);
  }
  bool reserve_pending() noexcept;
  void finish(std::string_view key, CoalescerCore::Ticket& ticket,
              std::shared_ptr<const void> value, std::exception_ptr error);
  void insert_locked(Shard& s, const HashedKey& key,
                     const std::shared_ptr<const void>& value) noexcept;
  // Removes every entry for which pred(entry) holds; returns how many.
  template <typename Pred>
  std::size_t erase_entries_if(Shard& s, Pred pred) {
    std::size_t removed = 0;
    for (std::uint32_t i = s.entries.oldest(); i != EntryTable::kNone;) {
      const std::uint32_t next = s.entries.next_of(i);
      if (pred(s.entries.at(i))) {
        s.entries.erase(i);
        ++removed;
      }
      i = next;
    }
    return removed;
  }
  void register_metrics(metrics::Meter& meter);

  const CoalescerOptions opt_;
  const std::uint64_t ttl_ns_;
  const std::size_t shard_count_;
  const std::size_t per_shard_capacity_;
  std::unique_ptr<Shard[]> shards_;
  std::atomic<std::size_t> in_flight_{0};
  std::atomic<std::uint64_t> errors_{0};
  std::atomic<std::uint64_t> wait_timeouts_{0};
  const std::uint64_t shared_ttl_ns_ = opt_.shared_ttl.count() > 0 ? to_ns(opt_.shared_ttl)
                                                                   : ttl_ns_;
  const std::uint64_t shared_retry_ns_ = to_ns(opt_.shared_retry_after);
  std::atomic<std::uint64_t> shared_down_until_{0};  // 0: usable
  std::atomic<std::uint64_t> shared_hits_{0};
  std::atomic<std::uint64_t> shared_errors_{0};
  std::atomic<std::uint64_t> shared_skipped_{0};
  const std::uint64_t grace_ns_ = to_ns(opt_.stale_grace);
  std::atomic<std::uint64_t> refresh_drops_{0};
  lumen::internal::Mutex refresh_mu_;
  std::deque<RefreshTask> refresh_queue_ LUMEN_GUARDED_BY(refresh_mu_);
  // Started by the first refresh (wake starts it); after fork, by the child's first refresh.
  lumen::detail::BackgroundWorker refresh_worker_{
      {.name = "lumen-refresh", .restart_in_child = false},
      [this](lumen::detail::WorkerEvent event) { refresh_step(event); }};
  std::vector<metrics::ObservableRegistration> registrations_;
};

}  // namespace lumen::perf::detail
