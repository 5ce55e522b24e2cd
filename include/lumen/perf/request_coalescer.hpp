// RequestCoalescer: single-flight plus a small TTL cache in front of an expensive call.
//
// Concurrent get() calls with the same key run the function once; every caller receives that one
// result (or that one exception). A success is cached for `ttl`; an exception reaches every waiter
// of that execution and is never cached. When `max_pending` distinct keys are already executing,
// a call with a new key bypasses coalescing and runs directly (uncached), so one slow upstream
// cannot grow the in-flight table without bound.
//
//   lumen::perf::RequestCoalescer<std::string> analyses({
//       .name = "analyze", .ttl = std::chrono::seconds(30), .max_entries = 10'000,
//       .meter = &provider.meter("checkout"), .tracer = &tracer});
//   const std::string key = lumen::perf::make_key("analyze", image_id, model, 0.7);
//   std::string result = analyses.get(key, [&] { return provider.analyze(image_id, model); });
//   auto got = analyses.get_with_outcome(key, [&] { return provider.analyze(image_id, model); });
//   if (got.outcome == lumen::perf::CoalesceOutcome::kCoalesced) { /* shared another's call */ }
//   analyses.invalidate_matching("^analyze:");   // or invalidate_key(key), or invalidate()
//
// Cached entries are bounded per shard, evicting the least recently used first in the CLOCK
// (second chance) approximation of LRU: a hit sets a flag instead of moving a list node, and
// eviction spares a flagged entry once. They expire lazily: a lookup drops an expired entry,
// inserts drop expired entries among the oldest, and
// purge_expired() sweeps one shard lock at a time when the caller wants it. There is no timer
// thread. A waiter gives up after `wait_timeout` (CoalescerTimeout) without cancelling the leader,
// whose result is still cached for later callers.
//
// Tracing: each execution is a span "coalescer.execute" (child of the leader's current span, and
// current while the function runs, so the function's own spans join the caller's trace); each
// waiter records a span "coalescer.wait" linked to the leader's execution span.
// Metrics (observable counters, read at collection; no cost on the hot path): lumen.coalescer.
// executions, .coalesced, .hits, .bypasses, .errors, .wait_timeouts, and the gauge .entries, all
// with the attribute coalescer=<name>; give coalescers that share a meter distinct names.
//
// Thread safety: every method may be called concurrently. `fn` runs on the leader's thread,
// without any coalescer lock held; it may call the coalescer (other keys) again.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "lumen/core/clock.hpp"
#include "lumen/core/context.hpp"
#include "lumen/core/error.hpp"
#include "lumen/perf/internal/coalescer_core.hpp"
#include "lumen/perf/key.hpp"
#include "lumen/perf/result_cache.hpp"

namespace lumen::metrics {
class Meter;
}
namespace lumen::trace {
class Span;
class Tracer;
}  // namespace lumen::trace

namespace lumen::perf {

// Thrown to a waiter whose wait for the leader's result ran past CoalescerOptions::wait_timeout.
class CoalescerTimeout : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CoalescerOptions {
  std::string name = "coalescer";  // metric attribute and span attribute
  // How long a successful result is served from the cache; zero: single-flight only, no cache.
  std::chrono::nanoseconds ttl = std::chrono::seconds(0);
  // Distinct keys executing at once before new keys bypass coalescing; 0 means no limit.
  std::size_t max_pending = 10'000;
  // Bound on cached entries across all shards (each shard keeps max_entries / shards).
  std::size_t max_entries = 10'000;
  // How long a waiter waits for the leader before CoalescerTimeout.
  std::chrono::nanoseconds wait_timeout = std::chrono::seconds(30);
  // Lock stripes (rounded down to a power of two); keys hash to one. 1 gives one global eviction
  // order (tests).
  std::size_t shards = 16;
  // Times the ttl, stale_grace and wait_timeout. nullptr: the system clock, read coarsely for the
  // ttl (CLOCK_MONOTONIC_COARSE, a few ms of resolution, far finer than any sensible TTL) because
  // the hit path reads it on every call.
  const Clock* clock = nullptr;
  metrics::Meter* meter = nullptr;  // nullptr: no metrics (stats() still counts)
  trace::Tracer* tracer = nullptr;  // nullptr: no spans
  // A cache shared with other processes (e.g. RedisResultCache), asked by a leader that missed
  // the in-process cache before it runs the function; nullptr: in-process cache only.
  ResultCache* shared_cache = nullptr;
  // How long results live in the shared cache; zero: `ttl` (and nothing is stored if both are 0).
  std::chrono::nanoseconds shared_ttl = std::chrono::seconds(0);
  // After a shared-cache failure, calls skip it (running the function directly) for this long,
  // then try it again: a dead Redis costs one failed round trip per period, not one per call.
  std::chrono::nanoseconds shared_retry_after = std::chrono::seconds(1);
  // Stale-while-revalidate: for this long after an entry's ttl ran out, callers still get the old
  // value at once while one background refresh runs (on the coalescer's refresh thread, started
  // on first use). A refresh that fails keeps the old value until the grace period ends; after it,
  // callers wait for a fresh value as on a miss. Zero: off. The refresh runs a copy of fn after
  // get() has returned, so a fn used with a grace period must capture by value (a fn that cannot
  // be copied is run by the caller instead, which then gets the fresh value).
  std::chrono::nanoseconds stale_grace = std::chrono::seconds(0);
};

// How one get_with_outcome() call came by its value.
enum class CoalesceOutcome : std::uint8_t {
  kExecuted,     // this call ran fn (as the leader, or directly past max_pending)
  kCached,       // the in-process cache had it (a stale value within stale_grace included)
  kSharedCache,  // this call, as the leader, found it in the shared cache: fn did not run
  kCoalesced,    // this call waited for the execution another caller had started
};

template <typename V>
struct Coalesced {
  V value;
  CoalesceOutcome outcome;
};

struct CoalescerStats {
  std::uint64_t executions = 0;     // leader executions (bypassed calls not included)
  std::uint64_t coalesced = 0;      // calls that waited for another caller's execution
  std::uint64_t hits = 0;           // calls served from the cache
  std::uint64_t bypasses = 0;       // calls run directly because max_pending keys were in flight
  std::uint64_t errors = 0;         // executions (leader or bypass) that threw
  std::uint64_t wait_timeouts = 0;  // waiters that gave up
  std::uint64_t evictions = 0;      // entries dropped by the LRU bound
  std::uint64_t shared_hits = 0;    // leader executions answered by the shared cache
  std::uint64_t shared_errors = 0;  // shared-cache failures (load, store, erase, undecodable bytes)
  std::uint64_t shared_skipped = 0;  // shared-cache lookups skipped during shared_retry_after
  std::uint64_t stale_hits = 0;      // calls served a stale value within stale_grace
  std::uint64_t refresh_drops = 0;   // background refreshes dropped because the queue was full
  std::uint64_t expirations = 0;     // expired entries removed
  std::size_t entries = 0;           // cached now
  std::size_t in_flight = 0;         // keys executing now
};

template <typename V>
class RequestCoalescer {
  static_assert(std::is_copy_constructible_v<V>, "every caller receives its own copy of the value");

 public:
  // `codec` turns values into bytes for options.shared_cache; std::string values need none.
  explicit RequestCoalescer(CoalescerOptions options = {}, ValueCodec<V> codec = default_codec())
      : codec_(std::move(codec)), core_(std::move(options), detail::ValueStorage<V>::kOps) {
    if (core_.has_shared() && (!codec_.encode || !codec_.decode)) {
      throw Error(
          "RequestCoalescer: a shared_cache stores bytes; give a ValueCodec with encode "
          "and decode for this value type (std::string values need none)");
    }
  }

  // The value for `key`: cached, or from the execution already running for it, or from running
  // fn() now. Rethrows fn's exception (to every caller that shared the execution); throws
  // CoalescerTimeout to a waiter whose wait ran past wait_timeout.
  template <typename F>
  requires std::is_convertible_v<std::invoke_result_t<F&>, V>
  [[nodiscard]] V get(std::string_view key, F&& fn) {
    Out out{};
    (void)fill(key, fn, out);
    if constexpr (kDirect) {
      return out;  // named return value: built in the caller's object
    } else {
      return std::move(*out);
    }
  }

  // As get(), and says whether the value came from this call's own execution, the cache, the
  // shared cache or another caller's execution.
  template <typename F>
  requires std::is_convertible_v<std::invoke_result_t<F&>, V>
  [[nodiscard]] Coalesced<V> get_with_outcome(std::string_view key, F&& fn) {
    Out out{};
    const CoalesceOutcome outcome = fill(key, fn, out);
    if constexpr (kDirect) {
      return {std::move(out), outcome};
    } else {
      return {std::move(*out), outcome};
    }
  }

  // The cached value for `key` while it is fresh (counted as a hit), else nullopt: never runs,
  // waits or blocks beyond a shard lock, so a caller that must not block (an I/O thread) can try
  // the cache first and hand a miss to get() elsewhere. Neither a stale value (stale_grace) nor
  // the shared cache is consulted.
  [[nodiscard]] std::optional<V> try_get(std::string_view key) {
    Out out{};
    if (!core_.lookup(key, &out, copy_entry_out)) return std::nullopt;
    if constexpr (kDirect) {
      return std::optional<V>(std::move(out));
    } else {
      return out;
    }
  }

  // Drops every cached entry; executions in flight still answer their waiters but are not cached.
  std::size_t invalidate() { return core_.invalidate(); }
  // Drops one key (and keeps an execution in flight for it from being cached).
  std::size_t invalidate_key(std::string_view key) { return core_.invalidate_key(key); }
  // Drops keys in which the ECMAScript regular expression finds a match (std::regex_search);
  // throws lumen::Error for a malformed expression.
  std::size_t invalidate_matching(std::string_view regex) {
    return core_.invalidate_matching(regex);
  }
  // Removes every expired entry now; returns how many.
  std::size_t purge_expired() { return core_.purge_expired(); }

  [[nodiscard]] CoalescerStats stats() const { return core_.stats(); }

 private:
  friend struct detail::CoalescerAccess<V>;

  static void copy_out(const void* stored, void* out) {
    static_cast<std::optional<V>*>(out)->emplace(*static_cast<const V*>(stored));
  }
  // get() builds the caller's copy in an Out: V itself when V can be default-constructed and
  // assigned, so that a hit copies the cached value straight into the object get() returns (one
  // copy; through an optional it was a copy and a move, each a call to memcpy for a short string,
  // which made a one-thread hit slower than a std::mutex + std::unordered_map lookup), else an
  // optional.
  static constexpr bool kDirect = std::is_nothrow_default_constructible_v<V> &&
                                  std::is_copy_assignable_v<V> && std::is_move_assignable_v<V>;
  using Out = std::conditional_t<kDirect, V, std::optional<V>>;
  static constexpr detail::CopyOut copy_entry_out =
      kDirect ? &detail::ValueStorage<V>::assign_entry : &detail::ValueStorage<V>::copy_entry;
  static void copy_out_out(const void* stored, void* out) {
    if constexpr (kDirect) {
      *static_cast<V*>(out) = *static_cast<const V*>(stored);
    } else {
      copy_out(stored, out);
    }
  }
  static void put(Out& out, V&& v) {
    if constexpr (kDirect) {
      out = std::move(v);
    } else {
      out.emplace(std::move(v));
    }
  }
  // Puts the value for `key` into `out` (see get) and says where it came from.
  template <typename F>
  CoalesceOutcome fill(std::string_view key, F& fn, Out& out) {
    detail::CoalescerCore::Ticket ticket = core_.begin(key, &out, copy_entry_out);
    switch (ticket.role) {
      case detail::CoalescerCore::Role::kHit:
        return CoalesceOutcome::kCached;
      case detail::CoalescerCore::Role::kStale:
        if (ticket.flight != nullptr) {
          using Fn = std::remove_cvref_t<F>;
          if constexpr (std::is_copy_constructible_v<Fn>) {
            core_.refresh(
                key, std::move(ticket),
                [this, shared = core_.has_shared(), k = std::string(key), f = Fn(fn)]() mutable {
                  return std::shared_ptr<const void>(
                      std::make_shared<const V>(shared ? via_shared(k, f) : V(f())));
                });
          } else {
            return lead_into(out, key, ticket,
                             fn);  // this caller refreshes, and gets the new value
          }
        }
        return CoalesceOutcome::kCached;
      case detail::CoalescerCore::Role::kWait:
        core_.wait(ticket, &out, &copy_out_out);
        return CoalesceOutcome::kCoalesced;
      case detail::CoalescerCore::Role::kLead:
      case detail::CoalescerCore::Role::kBypass:
        break;
    }
    return lead_into(out, key, ticket, fn);
  }
  template <typename F>
  CoalesceOutcome lead_into(Out& out, std::string_view key, detail::CoalescerCore::Ticket& ticket,
                            F& fn) {
    bool from_shared = false;
    put(out, lead(key, ticket, fn, from_shared));
    return from_shared ? CoalesceOutcome::kSharedCache : CoalesceOutcome::kExecuted;
  }

  template <typename F>
  static std::shared_ptr<const void> produce(void* fn) {
    return std::make_shared<const V>((*static_cast<std::remove_reference_t<F>*>(fn))());
  }
  // Runs fn (through the shared cache when there is one) as this ticket's execution;
  // `from_shared` is set when the shared cache answered instead.
  template <typename F>
  V lead(std::string_view key, detail::CoalescerCore::Ticket& ticket, F& fn, bool& from_shared) {
    if (core_.has_shared()) {
      auto through = [&]() -> V { return via_shared(key, fn, &from_shared); };
      return run(key, ticket, through);
    }
    return run(key, ticket, fn);
  }
  template <typename F>
  V run(std::string_view key, detail::CoalescerCore::Ticket& ticket, F& fn) {
    std::shared_ptr<const void> v = core_.execute(
        key, ticket, &produce<F>, const_cast<void*>(static_cast<const void*>(std::addressof(fn))));
    return *static_cast<const V*>(v.get());
  }
  // The shared cache's value when it has one, else fn()'s, which is then stored there.
  template <typename F>
  V via_shared(std::string_view key, F& fn, bool* from_shared = nullptr) {
    if (std::optional<std::string> bytes = core_.shared_load(key)) {
      std::optional<V> v;
      try {
        v = codec_.decode(*bytes);
      } catch (...) {
        v.reset();
      }
      if (v) {
        if (from_shared != nullptr) *from_shared = true;
        return std::move(*v);
      }
      core_.shared_codec_failed();
    }
    V v = fn();
    std::optional<std::string> bytes;
    try {
      bytes = codec_.encode(v);
    } catch (...) {
      core_.shared_codec_failed();
    }
    if (bytes) core_.shared_store(key, *bytes);
    return v;
  }
  static ValueCodec<V> default_codec() {
    if constexpr (std::is_same_v<V, std::string>) {
      return {
          .encode = [](const std::string& v) { return v; },
          .decode = [](std::string_view b) { return std::optional<std::string>(std::string(b)); }};
    } else {
      return {};
    }
  }

  ValueCodec<V> codec_;  // before core_: a refresh still running in core_'s destructor uses it
  detail::CoalescerCore core_;
};

}  // namespace lumen::perf
