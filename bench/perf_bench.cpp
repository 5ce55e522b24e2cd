// Performance tools beside their plain alternatives: the coalescer's cache-hit path beside a
// std::mutex + std::unordered_map cache, a miss (one execution), a pool acquire/release, and the
// effectiveness workloads (coalescing on Zipf-distributed keys; micro-batching to an upstream with
// a per-call overhead). See bench/RESULTS.md for the figures and how they were taken.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "lumen/perf/micro_batcher.hpp"
#include "lumen/perf/request_coalescer.hpp"
#include "lumen/perf/resource_pool.hpp"

namespace {

using namespace std::chrono_literals;

constexpr std::size_t kKeys = 1024;

const std::vector<std::string>& keys() {
  static const std::vector<std::string> k = [] {
    std::vector<std::string> v;
    for (std::size_t i = 0; i < kKeys; ++i) v.push_back("user:" + std::to_string(i));
    return v;
  }();
  return k;
}

std::string value_for(std::size_t i) {
  return "profile-" + std::to_string(i);
}

// ---- Cache hit: the common path --------------------------------------------------------------

lumen::perf::RequestCoalescer<std::string>& warm_coalescer() {
  static auto* c = [] {
    auto* co = new lumen::perf::RequestCoalescer<std::string>(
        {.ttl = std::chrono::hours(1), .max_entries = 4 * kKeys});
    for (std::size_t i = 0; i < kKeys; ++i) (void)co->get(keys()[i], [i] { return value_for(i); });
    return co;
  }();
  return *c;
}

void BM_Coalescer_CacheHit(benchmark::State& state) {
  auto& c = warm_coalescer();
  const auto& k = keys();
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 97;
  for (auto _ : state) {
    std::string v = c.get(k[i++ % kKeys], [] { return std::string("miss"); });
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Coalescer_CacheHit);
BENCHMARK(BM_Coalescer_CacheHit)->Threads(2)->UseRealTime();

// The plain alternative: one mutex around one map.
class MutexMap {
 public:
  std::string get(const std::string& key) {
    std::lock_guard lock(mu_);
    auto it = map_.find(key);
    if (it != map_.end()) return it->second;
    return map_.emplace(key, "miss").first->second;
  }
  void put(const std::string& key, std::string v) {
    std::lock_guard lock(mu_);
    map_[key] = std::move(v);
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::string> map_;
};

MutexMap& warm_mutex_map() {
  static auto* m = [] {
    auto* mm = new MutexMap;
    for (std::size_t i = 0; i < kKeys; ++i) mm->put(keys()[i], value_for(i));
    return mm;
  }();
  return *m;
}

void BM_MutexMap_Hit(benchmark::State& state) {
  auto& m = warm_mutex_map();
  const auto& k = keys();
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 97;
  for (auto _ : state) {
    std::string v = m.get(k[i++ % kKeys]);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MutexMap_Hit);
BENCHMARK(BM_MutexMap_Hit)->Threads(2)->UseRealTime();

// The same two caches with the keys visited in a fixed random order instead of insertion order,
// which may favour the map's nodes (allocated one after another) over the coalescer's hashed
// slots and per-shard entry arrays. The caches' contents are the ones above.
const std::vector<std::size_t>& shuffled_order() {
  static const std::vector<std::size_t> order = [] {
    std::vector<std::size_t> o(kKeys);
    for (std::size_t i = 0; i < kKeys; ++i) o[i] = i;
    std::shuffle(o.begin(), o.end(), std::mt19937(42));
    return o;
  }();
  return order;
}

// Times get(key) over the keys in shuffled_order(); each call's value is a copy, as for a user.
template <typename Get>
void walk_shuffled(benchmark::State& state, Get get) {
  const auto& k = keys();
  const auto& order = shuffled_order();
  std::size_t i = 0;
  for (auto _ : state) {
    std::string v = get(k[order[i++ % kKeys]]);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Coalescer_CacheHit_Shuffled(benchmark::State& state) {
  auto& c = warm_coalescer();
  walk_shuffled(state, [&](const std::string& key) {
    return c.get(key, [] { return std::string("miss"); });
  });
}
BENCHMARK(BM_Coalescer_CacheHit_Shuffled);

void BM_MutexMap_Hit_Shuffled(benchmark::State& state) {
  auto& m = warm_mutex_map();
  walk_shuffled(state, [&](const std::string& key) { return m.get(key); });
}
BENCHMARK(BM_MutexMap_Hit_Shuffled);

// ---- Miss: one execution of a trivial function -------------------------------------------------

void BM_Coalescer_Miss(benchmark::State& state) {
  lumen::perf::RequestCoalescer<std::string> c({.ttl = 0s});
  const std::string key = "user:1";
  for (auto _ : state) {
    std::string v = c.get(key, [] { return std::string("profile"); });
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_Coalescer_Miss);

// ---- Pool -----------------------------------------------------------------------------------

void BM_Pool_AcquireRelease(benchmark::State& state) {
  static lumen::perf::ResourcePool<int> pool([] { return 42; }, {.max_size = 8});
  for (auto _ : state) {
    auto lease = pool.acquire();
    benchmark::DoNotOptimize(*lease);
  }
}
BENCHMARK(BM_Pool_AcquireRelease);
BENCHMARK(BM_Pool_AcquireRelease)->Threads(2)->UseRealTime();

// ---- Effectiveness: coalescing on Zipf keys with concurrent duplicates -----------------------

// Zipf(s) over n keys by inverse CDF.
class Zipf {
 public:
  Zipf(std::size_t n, double s) : cdf_(n) {
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i)
      cdf_[i] = (sum += 1.0 / std::pow(static_cast<double>(i + 1), s));
    for (double& c : cdf_) c /= sum;
  }
  template <typename Rng>
  std::size_t operator()(Rng& rng) {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return static_cast<std::size_t>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
  }

 private:
  std::vector<double> cdf_;
};

// 16 client threads, 200 requests each, keys Zipf(1.1) over 1000 ids, upstream latency 2 ms.
// Arg: cache TTL in ms (0 = single-flight only).
void BM_Effectiveness_ZipfCoalescing(benchmark::State& state) {
  constexpr int kThreads = 16;
  constexpr int kRequests = 200;
  const auto ttl = std::chrono::milliseconds(state.range(0));
  double removed_pct = 0;
  for (auto _ : state) {
    lumen::perf::RequestCoalescer<int> c({.ttl = ttl});
    std::atomic<int> upstream{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        std::mt19937_64 rng(static_cast<std::uint64_t>(t) * 7919 + 1);
        Zipf zipf(1000, 1.1);
        for (int i = 0; i < kRequests; ++i) {
          const std::size_t id = zipf(rng);
          (void)c.get("item:" + std::to_string(id), [&] {
            upstream.fetch_add(1);
            std::this_thread::sleep_for(2ms);
            return static_cast<int>(id);
          });
        }
      });
    }
    for (auto& th : threads) th.join();
    removed_pct = 100.0 * (1.0 - upstream.load() / static_cast<double>(kThreads * kRequests));
  }
  state.counters["upstream_calls_removed_pct"] = removed_pct;
}
BENCHMARK(BM_Effectiveness_ZipfCoalescing)
    ->Arg(0)
    ->Arg(100)
    ->Iterations(3)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// ---- Effectiveness: micro-batching to an upstream with a per-call overhead --------------------

// An upstream reached over 4 connections; a call costs 200 us plus 2 us per item, so the per-call
// overhead dominates single requests (an AI API with a batch endpoint behaves like this).
class Upstream {
 public:
  std::vector<int> call(const std::vector<int>& items) {
    auto conn = conns_.acquire();
    std::this_thread::sleep_for(200us + 2us * static_cast<int>(items.size()));
    std::vector<int> out;
    out.reserve(items.size());
    for (int x : items) out.push_back(x + 1);
    return out;
  }

 private:
  lumen::perf::ResourcePool<int> conns_{[] { return 0; }, {.max_size = 4}};
};

Upstream& upstream() {
  static Upstream u;
  return u;
}

void BM_Upstream_OneByOne(benchmark::State& state) {
  int x = state.thread_index();
  for (auto _ : state) {
    benchmark::DoNotOptimize(upstream().call({x++}));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Upstream_OneByOne)->Threads(32)->UseRealTime()->MinTime(1.0);

void BM_Upstream_MicroBatched(benchmark::State& state) {
  static lumen::perf::MicroBatcher<int, int> batcher(
      [](std::vector<int>& items) { return upstream().call(items); },
      {.max_batch = 16, .max_delay = 1ms});
  int x = state.thread_index();
  for (auto _ : state) {
    benchmark::DoNotOptimize(batcher.submit(x++));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Upstream_MicroBatched)->Threads(32)->UseRealTime()->MinTime(1.0);

}  // namespace

BENCHMARK_MAIN();
