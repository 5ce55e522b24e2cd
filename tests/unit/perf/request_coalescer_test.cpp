#include "lumen/perf/request_coalescer.hpp"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "lumen/core/error.hpp"
#include "lumen/export/memory_exporter.hpp"
#include "lumen/metrics/meter.hpp"
#include "lumen/trace/tracer_provider.hpp"
#include "traced.hpp"

namespace lumen::perf {
namespace {

using namespace std::chrono_literals;

// A leader executing `key` on another thread until release() is called; it returns `value`.
template <typename V>
class BlockedLeader {
 public:
  BlockedLeader(RequestCoalescer<V>& c, std::string key, V value) {
    std::future<void> running = running_.get_future();
    result_ = std::async(std::launch::async, [&c, key = std::move(key), value,
                                              f = release_.get_future(), this]() mutable {
      return c.get(key, [&] {
        running_.set_value();
        f.wait();
        return value;
      });
    });
    started_ = running.wait_for(10s) == std::future_status::ready;
  }
  ~BlockedLeader() {
    if (!released_) release();
  }
  [[nodiscard]] bool started() const { return started_; }
  void release() {
    released_ = true;
    release_.set_value();
  }
  V get() {
    if (!released_) release();
    return result_.get();
  }

 private:
  std::promise<void> running_;
  std::promise<void> release_;
  std::future<V> result_;
  bool started_ = false;
  bool released_ = false;
};

const trace::SpanData* find_span(const std::vector<trace::SpanData>& spans, std::string_view name) {
  for (const auto& s : spans) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

TEST(RequestCoalescer, ConcurrentCallersOfOneKeyShareOneExecution) {
  ManualClock clock;
  RequestCoalescer<int> c({.ttl = 0s, .clock = &clock});
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> running;
  std::atomic<int> runs{0};
  auto call = [&] {
    return c.get("k", [&] {
      if (++runs == 1) running.set_value();
      released.wait();
      return 42;
    });
  };
  auto leader = std::async(std::launch::async, call);
  running.get_future().wait();
  std::vector<std::future<int>> waiters;
  for (int i = 0; i < 4; ++i) waiters.push_back(std::async(std::launch::async, call));
  EXPECT_TRUE(clock.await_waiters(4));  // all four wait for the leader
  EXPECT_EQ(c.stats().coalesced, 4u);
  release.set_value();
  EXPECT_EQ(leader.get(), 42);
  for (auto& w : waiters) EXPECT_EQ(w.get(), 42);
  EXPECT_EQ(runs.load(), 1);
  EXPECT_EQ(c.stats().executions, 1u);
}

TEST(RequestCoalescer, ErrorReachesEveryWaiterAndIsNotCached) {
  ManualClock clock;
  RequestCoalescer<int> c({.ttl = 60s, .clock = &clock});
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> running;
  auto failing = [&](bool leads) {
    return c.get("k", [&]() -> int {
      if (leads) running.set_value();
      released.wait();
      throw std::runtime_error("upstream down");
    });
  };
  auto leader = std::async(std::launch::async, failing, true);
  running.get_future().wait();
  auto waiter = std::async(std::launch::async, failing, false);
  EXPECT_TRUE(clock.await_waiters(1));
  EXPECT_EQ(c.stats().coalesced, 1u);
  release.set_value();
  for (auto* f : {&leader, &waiter}) {
    try {
      (void)f->get();
      ADD_FAILURE() << "expected the leader's exception";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "upstream down");
    }
  }
  EXPECT_EQ(c.stats().errors, 1u);
  EXPECT_EQ(c.stats().entries, 0u);
  // Not cached: the next call executes again.
  EXPECT_EQ(c.get("k", [] { return 7; }), 7);
  EXPECT_EQ(c.stats().executions, 2u);
}

TEST(RequestCoalescer, SuccessIsServedFromCacheUntilTtlPassesOnTheClock) {
  ManualClock clock;
  RequestCoalescer<std::string> c({.ttl = 10s, .clock = &clock});
  int runs = 0;
  auto fetch = [&] { return c.get("user:1", [&] { return "v" + std::to_string(++runs); }); };
  EXPECT_EQ(fetch(), "v1");
  clock.advance(9s);
  EXPECT_EQ(fetch(), "v1");
  EXPECT_EQ(c.stats().hits, 1u);
  clock.advance(1s);
  EXPECT_EQ(fetch(), "v2");
  EXPECT_EQ(c.stats().expirations, 1u);
  EXPECT_EQ(runs, 2);
}

// What an I/O thread relies on to answer from the cache without a hop: try_get() never runs the
// function, never joins a flight, and finds only values still fresh on the clock.
TEST(RequestCoalescer, TryGetAnswersOnlyFreshCachedValuesAndNeverStartsAnExecution) {
  ManualClock clock;
  RequestCoalescer<std::string> c({.ttl = 10s, .clock = &clock});
  EXPECT_EQ(c.try_get("user:1"), std::nullopt);
  EXPECT_EQ(c.stats().executions, 0u);
  EXPECT_EQ(c.stats().in_flight, 0u);
  EXPECT_EQ(c.get("user:1", [] { return std::string("v1"); }), "v1");
  EXPECT_EQ(c.try_get("user:1"), "v1");
  EXPECT_EQ(c.stats().hits, 1u);
  clock.advance(10s);
  EXPECT_EQ(c.try_get("user:1"), std::nullopt);
  EXPECT_EQ(c.stats().hits, 1u);
  EXPECT_EQ(c.stats().executions, 1u);
}

TEST(RequestCoalescer, ZeroTtlCachesNothing) {
  RequestCoalescer<int> c({.ttl = 0s});
  int runs = 0;
  (void)c.get("k", [&] { return ++runs; });
  (void)c.get("k", [&] { return ++runs; });
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(c.stats().entries, 0u);
}

TEST(RequestCoalescer, InvalidateMatchingRemovesOnlyKeysTheRegexFinds) {
  RequestCoalescer<int> c({.ttl = 60s});
  for (const char* k : {"user:1", "user:2", "order:1", "my-user:3"})
    (void)c.get(k, [] { return 1; });
  EXPECT_EQ(c.invalidate_matching("^user:"), 2u);
  EXPECT_EQ(c.stats().entries, 2u);
  int runs = 0;
  (void)c.get("user:1", [&] { return ++runs; });
  (void)c.get("order:1", [&] { return ++runs; });
  (void)c.get("my-user:3", [&] { return ++runs; });
  EXPECT_EQ(runs, 1);  // only user:1 ran again
}

TEST(RequestCoalescer, InvalidateKeyAndInvalidateAll) {
  RequestCoalescer<int> c({.ttl = 60s});
  for (const char* k : {"a", "b", "c"}) (void)c.get(k, [] { return 1; });
  EXPECT_EQ(c.invalidate_key("b"), 1u);
  EXPECT_EQ(c.invalidate_key("b"), 0u);
  EXPECT_EQ(c.stats().entries, 2u);
  EXPECT_EQ(c.invalidate(), 2u);
  EXPECT_EQ(c.stats().entries, 0u);
}

TEST(RequestCoalescer, MalformedRegexThrowsLumenError) {
  RequestCoalescer<int> c({.ttl = 60s});
  EXPECT_THROW(c.invalidate_matching("user:("), lumen::Error);
}

TEST(RequestCoalescer, InvalidateDuringAnExecutionKeepsItsResultOutOfTheCache) {
  RequestCoalescer<int> c({.ttl = 60s});
  BlockedLeader leader(c, "k", 1);
  ASSERT_TRUE(leader.started());
  (void)c.invalidate_key("k");
  EXPECT_EQ(leader.get(), 1);
  EXPECT_EQ(c.stats().entries, 0u);
}

TEST(RequestCoalescer, PastMaxPendingNewKeysBypassAndRunDirectly) {
  RequestCoalescer<int> c({.ttl = 60s, .max_pending = 1});
  BlockedLeader leader(c, "slow", 1);
  ASSERT_TRUE(leader.started());
  int runs = 0;
  EXPECT_EQ(c.get("other", [&] { return ++runs; }), 1);
  EXPECT_EQ(c.get("other", [&] { return ++runs; }), 2);  // bypassed calls are not cached
  EXPECT_EQ(c.stats().bypasses, 2u);
  EXPECT_EQ(leader.get(), 1);
  EXPECT_EQ(c.get("other", [&] { return ++runs; }), 3);  // room again: coalesced and cached
  EXPECT_EQ(c.get("other", [&] { return ++runs; }), 3);
  EXPECT_EQ(c.stats().bypasses, 2u);
}

// Which of its own execution, the cache or another caller's execution answered a call is told, not
// guessed from how long it took: a waiter whose leader answered at once looks like a cache hit.
TEST(RequestCoalescer, OutcomeSaysWhetherTheCallRanTheCacheAnsweredOrItSharedAnothersCall) {
  ManualClock clock;
  RequestCoalescer<int> c({.ttl = 60s, .clock = &clock});
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> running;
  auto call = [&](bool leads) {
    return c.get_with_outcome("k", [&] {
      if (leads) running.set_value();
      released.wait();
      return 42;
    });
  };
  auto leader = std::async(std::launch::async, call, true);
  running.get_future().wait();
  auto waiter = std::async(std::launch::async, call, false);
  EXPECT_TRUE(clock.await_waiters(1));
  EXPECT_EQ(c.stats().coalesced, 1u);
  release.set_value();
  const Coalesced<int> led = leader.get();
  EXPECT_EQ(led.value, 42);
  EXPECT_EQ(led.outcome, CoalesceOutcome::kExecuted);
  const Coalesced<int> waited = waiter.get();
  EXPECT_EQ(waited.value, 42);
  EXPECT_EQ(waited.outcome, CoalesceOutcome::kCoalesced);
  const Coalesced<int> hit = c.get_with_outcome("k", [] { return 0; });
  EXPECT_EQ(hit.value, 42);
  EXPECT_EQ(hit.outcome, CoalesceOutcome::kCached);
}

TEST(RequestCoalescer, OutcomeOfABypassedCallIsItsOwnExecution) {
  RequestCoalescer<int> c({.ttl = 60s, .max_pending = 1});
  BlockedLeader leader(c, "slow", 1);
  ASSERT_TRUE(leader.started());
  const Coalesced<int> bypassed = c.get_with_outcome("other", [] { return 2; });
  EXPECT_EQ(bypassed.value, 2);
  EXPECT_EQ(bypassed.outcome, CoalesceOutcome::kExecuted);
  EXPECT_EQ(c.stats().bypasses, 1u);
}

// A shared cache kept in a map, as another process's coalescer would have filled Redis.
class MapResultCache final : public ResultCache {
 public:
  std::optional<std::string> load(std::string_view key) override {
    const auto it = values_.find(key);
    return it == values_.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  void store(std::string_view key, std::string_view bytes, std::chrono::nanoseconds) override {
    values_.insert_or_assign(std::string(key), std::string(bytes));
  }
  std::size_t erase(std::string_view key) override {
    const auto it = values_.find(key);
    if (it == values_.end()) return 0;
    values_.erase(it);
    return 1;
  }
  std::size_t erase_if(const std::function<bool(std::string_view)>& match) override {
    return std::erase_if(values_, [&](const auto& kv) { return match(kv.first); });
  }

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

TEST(RequestCoalescer, OutcomeTellsAnAnswerFromTheSharedCacheFromAnExecution) {
  MapResultCache shared;
  RequestCoalescer<std::string> first({.ttl = 60s, .shared_cache = &shared});
  EXPECT_EQ(first.get_with_outcome("k", [] { return std::string("v"); }).outcome,
            CoalesceOutcome::kExecuted);
  RequestCoalescer<std::string> second({.ttl = 60s, .shared_cache = &shared});
  int runs = 0;
  const auto from_shared = second.get_with_outcome("k", [&] {
    ++runs;
    return std::string("not needed");
  });
  EXPECT_EQ(from_shared.value, "v");
  EXPECT_EQ(from_shared.outcome, CoalesceOutcome::kSharedCache);
  EXPECT_EQ(runs, 0);
  EXPECT_EQ(second.get_with_outcome("k", [] { return std::string("x"); }).outcome,
            CoalesceOutcome::kCached);
}

TEST(RequestCoalescer, LruBoundEvictsTheLeastRecentlyUsedEntry) {
  RequestCoalescer<int> c({.ttl = 60s, .max_entries = 3, .shards = 1});
  int runs = 0;
  auto get = [&](const char* k) { return c.get(k, [&] { return ++runs; }); };
  (void)get("a");
  (void)get("b");
  (void)get("c");
  (void)get("a");  // a is now the most recent; b the least
  (void)get("d");  // evicts b
  EXPECT_EQ(c.stats().entries, 3u);
  EXPECT_EQ(c.stats().evictions, 1u);
  const int before = runs;
  (void)get("a");
  (void)get("c");
  (void)get("d");
  EXPECT_EQ(runs, before);  // all three still cached
  (void)get("b");
  EXPECT_EQ(runs, before + 1);
}

TEST(RequestCoalescer, LruBoundHoldsAcrossShards) {
  RequestCoalescer<int> c({.ttl = 60s, .max_entries = 64, .shards = 16});
  for (int i = 0; i < 1000; ++i) (void)c.get("k" + std::to_string(i), [i] { return i; });
  EXPECT_LE(c.stats().entries, 64u);
  EXPECT_GT(c.stats().evictions, 0u);
}

TEST(RequestCoalescer, ExpiredEntriesAreDroppedWithoutATimer) {
  ManualClock clock;
  RequestCoalescer<int> c({.ttl = 1s, .shards = 1, .clock = &clock});
  for (int i = 0; i < 10; ++i) (void)c.get("old" + std::to_string(i), [] { return 1; });
  clock.advance(2s);
  (void)c.get("new", [] { return 2; });  // an insert drops expired entries from the LRU tail
  EXPECT_EQ(c.stats().expirations, 2u);
  EXPECT_EQ(c.purge_expired(), 8u);
  EXPECT_EQ(c.stats().entries, 1u);
}

TEST(RequestCoalescer, WaiterTimesOutAtWaitTimeoutWithoutCancellingTheLeader) {
  ManualClock clock;
  RequestCoalescer<int> c({.ttl = 60s, .wait_timeout = 20ms, .clock = &clock});
  BlockedLeader leader(c, "k", 5);
  ASSERT_TRUE(leader.started());
  auto waiter = std::async(std::launch::async, [&] { return c.get("k", [] { return 0; }); });
  EXPECT_TRUE(clock.await_waiters(1));
  clock.advance(19ms);
  EXPECT_EQ(clock.waiters(), 1u);
  EXPECT_EQ(c.stats().wait_timeouts, 0u);
  clock.advance(1ms);
  try {
    (void)waiter.get();
    ADD_FAILURE() << "expected CoalescerTimeout";
  } catch (const CoalescerTimeout& e) {
    EXPECT_NE(std::string(e.what()).find("waited 20 ms"), std::string::npos) << e.what();
  }
  EXPECT_EQ(c.stats().wait_timeouts, 1u);
  EXPECT_EQ(leader.get(), 5);
  EXPECT_EQ(c.get("k", [] { return 0; }), 5);  // the leader's result was cached
}

TEST(RequestCoalescer, CountersAreExportedAsMetricsWithTheCoalescerName) {
  metrics::MeterProvider provider;
  RequestCoalescer<int> c({.name = "profiles", .ttl = 60s, .meter = &provider.meter("perf")});
  (void)c.get("a", [] { return 1; });
  (void)c.get("a", [] { return 1; });
  (void)c.get("a", [] { return 1; });
  std::int64_t hits = -1;
  std::int64_t executions = -1;
  for (const auto& m : provider.collect().metrics) {
    for (const auto& p : m.number_points) {
      const AttributeValue* name = p.attributes.find("coalescer");
      ASSERT_NE(name, nullptr);
      EXPECT_EQ(std::get<std::string>(*name), "profiles");
      if (m.name == "lumen.coalescer.hits") hits = p.int_value;
      if (m.name == "lumen.coalescer.executions") executions = p.int_value;
    }
  }
  EXPECT_EQ(hits, 2);
  EXPECT_EQ(executions, 1);
}

TEST(RequestCoalescer, ExecutionSpanIsAChildOfTheLeadersSpanAndParentOfTheWork) {
  lumen::testing::Traced t;
  RequestCoalescer<int> c({.ttl = 0s, .tracer = &t.tracer});
  SpanContext request;
  t.tracer.trace("request", [&](trace::Span& span) {
    request = span.context();
    (void)c.get("k", [&] {
      t.tracer.trace("upstream", [] {});
      return 1;
    });
  });
  const auto spans = t.memory->spans();
  const trace::SpanData* exec = find_span(spans, "coalescer.execute");
  const trace::SpanData* upstream = find_span(spans, "upstream");
  ASSERT_NE(exec, nullptr);
  ASSERT_NE(upstream, nullptr);
  EXPECT_EQ(exec->context.trace_id(), request.trace_id());
  EXPECT_EQ(exec->parent_span_id, request.span_id());
  EXPECT_EQ(upstream->parent_span_id, exec->context.span_id());
  EXPECT_EQ(exec->status, trace::StatusCode::kOk);
}

TEST(RequestCoalescer, WaiterSpanLinksToTheLeadersExecutionSpan) {
  lumen::testing::Traced t;
  ManualClock clock;
  RequestCoalescer<int> c({.ttl = 0s, .clock = &clock, .tracer = &t.tracer});
  BlockedLeader leader(c, "k", 1);
  ASSERT_TRUE(leader.started());
  auto waiter = std::async(std::launch::async, [&] { return c.get("k", [] { return 2; }); });
  EXPECT_TRUE(clock.await_waiters(1));
  EXPECT_EQ(leader.get(), 1);
  EXPECT_EQ(waiter.get(), 1);
  const auto spans = t.memory->spans();
  const trace::SpanData* exec = find_span(spans, "coalescer.execute");
  const trace::SpanData* wait = find_span(spans, "coalescer.wait");
  ASSERT_NE(exec, nullptr);
  ASSERT_NE(wait, nullptr);
  ASSERT_EQ(wait->links.size(), 1u);
  EXPECT_EQ(wait->links[0].context.span_id(), exec->context.span_id());
}

// Values stored inside the entry (a vector: non-trivial, 24 bytes) and values too large for it
// (kept behind the leader's shared_ptr) are both served from the cache, each caller with its copy,
// across entry-array growth, long keys, replacement after expiry and eviction.
template <typename V>
void check_cache_round_trip(const std::function<V(int)>& make) {
  ManualClock clock;
  RequestCoalescer<V> c({.ttl = 10s, .max_entries = 40, .shards = 1, .clock = &clock});
  int runs = 0;
  auto key_of = [](int i) { return "a-key-longer-than-sixteen-bytes:" + std::to_string(i); };
  for (int i = 0; i < 40; ++i)
    (void)c.get(i % 2 ? key_of(i) : std::to_string(i), [&] {
      ++runs;
      return make(i);
    });
  for (int i = 0; i < 40; ++i) {
    V v = c.get(i % 2 ? key_of(i) : std::to_string(i), [&] {
      ++runs;
      return make(-1);
    });
    EXPECT_TRUE(v == make(i)) << i;
  }
  EXPECT_EQ(runs, 40);
  EXPECT_EQ(c.stats().hits, 40u);
  clock.advance(10s);
  EXPECT_TRUE(c.get("0", [&] {
    ++runs;
    return make(100);
  }) == make(100));  // replaced after expiry
  EXPECT_TRUE(c.get("0", [&] {
    ++runs;
    return make(-1);
  }) == make(100));
  for (int i = 40; i < 100; ++i) (void)c.get(std::to_string(i), [&] { return make(i); });  // evicts
  EXPECT_LE(c.stats().entries, 40u);
  EXPECT_TRUE(c.get("99", [&] { return make(-1); }) == make(99));
}

TEST(RequestCoalescer, InlineStoredValuesAreServedFromTheCacheAsCopies) {
  static_assert(detail::ValueStorage<std::vector<int>>::kInline);
  check_cache_round_trip<std::vector<int>>(
      [](int i) { return std::vector<int>(static_cast<std::size_t>(i + 2), i); });
}

TEST(RequestCoalescer, ValuesTooLargeToStoreInlineAreServedFromTheCacheAsCopies) {
  using Big = std::array<int, 32>;
  static_assert(!detail::ValueStorage<Big>::kInline);
  check_cache_round_trip<Big>([](int i) {
    Big b{};
    b.fill(i);
    return b;
  });
}

// get() builds a value without a default constructor in an optional instead of in place.
struct NoDefault {
  explicit NoDefault(int v) : value(v) {}
  int value;
  bool operator==(const NoDefault&) const = default;
};

TEST(RequestCoalescer, ValuesWithoutADefaultConstructorAreServedThroughTheSamePaths) {
  check_cache_round_trip<NoDefault>([](int i) { return NoDefault(i); });
  // The waiter's copy, from a leader's execution.
  ManualClock clock;
  RequestCoalescer<NoDefault> c({.ttl = 0s, .clock = &clock});
  BlockedLeader leader(c, "k", NoDefault(7));
  ASSERT_TRUE(leader.started());
  auto waiter =
      std::async(std::launch::async, [&] { return c.get("k", [] { return NoDefault(8); }); });
  EXPECT_TRUE(clock.await_waiters(1));
  EXPECT_EQ(leader.get(), NoDefault(7));
  EXPECT_EQ(waiter.get(), NoDefault(7));
}

TEST(MakeKey, SameArgumentsGiveTheSameKeyAndBoundariesMatter) {
  EXPECT_EQ(make_key("p", std::string("ab"), 3, 0.5, true),
            make_key("p", std::string_view("ab"), 3L, 0.5, true));
  EXPECT_NE(make_key("p", "ab", "c"), make_key("p", "a", "bc"));
  EXPECT_NE(make_key("p", 1), make_key("p", true));
  EXPECT_NE(make_key("p", 1), make_key("q", 1));
  EXPECT_EQ(make_key("p", std::vector<int>{1, 2}).size(), 2u + 16u);
  EXPECT_EQ(make_key("p", 7u), make_key("p", 7));
}

TEST(MakeKey, HashIsStableAcrossBuildsAndMachines) {
  // Pinned: a change here breaks keys shared through a cache by instances of different versions.
  // Computed independently (Python) from the documented encoding.
  EXPECT_EQ(make_key("analyze", std::string("img-1"), 3), "analyze:893fbb6b827cc20c");
  EXPECT_EQ(make_key("k"), "k:cbf29ce484222325");  // FNV-1a offset basis: no arguments
}

}  // namespace
}  // namespace lumen::perf
