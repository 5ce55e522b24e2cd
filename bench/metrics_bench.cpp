// Metrics hot path and scrape, lumen beside prometheus-cpp (Debian prometheus-cpp-dev).
//   build/bench/metrics_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "lumen/metrics/meter.hpp"
#include "lumen/metrics/prometheus.hpp"

namespace {

using lumen::metrics::MeterProvider;

const std::string kModel = "gemini-2.0-flash";

void BM_AtomicAdd(benchmark::State& state) {
  static std::atomic<std::int64_t> value{0};
  for (auto _ : state) value.fetch_add(1, std::memory_order_relaxed);
  benchmark::DoNotOptimize(value.load());
}
BENCHMARK(BM_AtomicAdd);

MeterProvider& provider() {
  static MeterProvider p;
  return p;
}

void BM_CounterAdd_Attrs3(benchmark::State& state) {
  static auto counter = provider().meter("bench").create_counter<std::int64_t>("requests");
  for (auto _ : state) {
    counter.add(1, {{"model", kModel}, {"success", "true"}, {"has_tokens", "false"}});
  }
}
BENCHMARK(BM_CounterAdd_Attrs3);
BENCHMARK(BM_CounterAdd_Attrs3)->Threads(2);

void BM_CounterAdd_Bound(benchmark::State& state) {
  static auto counter = provider().meter("bench").create_counter<std::int64_t>("requests.bound");
  const auto bound = counter.bind({{"model", kModel}, {"success", "true"}});
  for (auto _ : state) bound.add(1);
}
BENCHMARK(BM_CounterAdd_Bound);
BENCHMARK(BM_CounterAdd_Bound)->Threads(2);

void BM_HistogramRecord_Attrs3(benchmark::State& state) {
  static auto hist = provider().meter("bench").create_histogram("latency", {.unit = "s"});
  double v = 0.001;
  for (auto _ : state) {
    hist.record(v, {{"model", kModel}, {"success", "true"}, {"has_tokens", "false"}});
    v = v > 20 ? 0.001 : v * 1.7;
  }
}
BENCHMARK(BM_HistogramRecord_Attrs3);

// A call site cycling through 64 attribute sets: more than each thread's series cache holds, so
// most records miss it and take the full lookup. What a miss costs, beside the hit above.
void BM_HistogramRecord_Attrs3_64Sets(benchmark::State& state) {
  static auto hist = provider().meter("bench").create_histogram("latency.sets", {.unit = "s"});
  static const std::vector<std::string> models = [] {
    std::vector<std::string> m;
    for (int i = 0; i < 64; ++i) m.push_back(kModel + "-" + std::to_string(i));
    return m;
  }();
  double v = 0.001;
  std::size_t i = 0;
  for (auto _ : state) {
    hist.record(v, {{"model", models[i]}, {"success", "true"}, {"has_tokens", "false"}});
    i = (i + 1) % models.size();
    v = v > 20 ? 0.001 : v * 1.7;
  }
}
BENCHMARK(BM_HistogramRecord_Attrs3_64Sets);

void BM_HistogramRecord_Bound(benchmark::State& state) {
  static auto hist = provider().meter("bench").create_histogram("latency.bound", {.unit = "s"});
  const auto bound = hist.bind({{"model", kModel}});
  double v = 0.001;
  for (auto _ : state) {
    bound.record(v);
    v = v > 20 ? 0.001 : v * 1.7;
  }
}
BENCHMARK(BM_HistogramRecord_Bound);

// The same values into base-2 exponential buckets (max_size 160, max_scale 20): the scale settles
// after the first few records, then each record is an index computation under a per-series lock.
void BM_ExponentialHistogramRecord_Bound(benchmark::State& state) {
  static auto hist = provider().meter("bench").create_histogram(
      "latency.exponential", {.unit = "s", .exponential = lumen::metrics::Base2Exponential{}});
  const auto bound = hist.bind({{"model", kModel}});
  double v = 0.001;
  for (auto _ : state) {
    bound.record(v);
    v = v > 20 ? 0.001 : v * 1.7;
  }
}
BENCHMARK(BM_ExponentialHistogramRecord_Bound);

prometheus::Registry& prom_registry() {
  static prometheus::Registry r;
  return r;
}

void BM_Prom_CounterAdd_Labels(benchmark::State& state) {
  static auto& family =
      prometheus::BuildCounter().Name("requests_total").Help("Requests").Register(prom_registry());
  for (auto _ : state) {
    family.Add({{"model", kModel}, {"success", "true"}, {"has_tokens", "false"}}).Increment();
  }
}
BENCHMARK(BM_Prom_CounterAdd_Labels);

void BM_Prom_CounterIncrement(benchmark::State& state) {
  static auto& family = prometheus::BuildCounter()
                            .Name("requests_bound_total")
                            .Help("Requests")
                            .Register(prom_registry());
  auto& child = family.Add({{"model", kModel}, {"success", "true"}});
  for (auto _ : state) child.Increment();
}
BENCHMARK(BM_Prom_CounterIncrement);

void BM_Prom_HistogramObserve(benchmark::State& state) {
  static auto& family = prometheus::BuildHistogram()
                            .Name("latency_seconds")
                            .Help("Latency")
                            .Register(prom_registry());
  auto& child = family.Add({{"model", kModel}}, lumen::metrics::default_latency_boundaries());
  double v = 0.001;
  for (auto _ : state) {
    child.Observe(v);
    v = v > 20 ? 0.001 : v * 1.7;
  }
}
BENCHMARK(BM_Prom_HistogramObserve);

constexpr int kSeries = 10'000;

void BM_Scrape_10k(benchmark::State& state) {
  MeterProvider p;
  auto counter = p.meter("scrape").create_counter<std::int64_t>("requests", {.description = "R"});
  for (int i = 0; i < kSeries; ++i) {
    counter.add(i, {{"route", "/api/v1/item/" + std::to_string(i)}, {"method", "GET"}});
  }
  std::string out;
  for (auto _ : state) {
    out.clear();
    lumen::metrics::serialize(p.collect(), lumen::metrics::ExpositionFormat::kPrometheusText, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(out.size());
}
BENCHMARK(BM_Scrape_10k)->Unit(benchmark::kMillisecond);

void BM_Prom_Scrape_10k(benchmark::State& state) {
  prometheus::Registry registry;
  auto& family = prometheus::BuildCounter().Name("requests_total").Help("R").Register(registry);
  for (int i = 0; i < kSeries; ++i) {
    family.Add({{"route", "/api/v1/item/" + std::to_string(i)}, {"method", "GET"}})
        .Increment(static_cast<double>(i));
  }
  const prometheus::TextSerializer serializer;
  std::size_t bytes = 0;
  for (auto _ : state) {
    const std::string out = serializer.Serialize(registry.Collect());
    bytes = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_Prom_Scrape_10k)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
