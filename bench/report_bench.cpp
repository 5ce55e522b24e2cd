// lumen_report: the cost of feeding the store, of a windowed query beside a naive per-series
// std::map scan (the peer), and of a whole report and dashboard page over a full day of data.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>

#include "lumen/beautifyai/metrics.hpp"
#include "lumen/beautifyai/report_profile.hpp"
#include "lumen/core/clock.hpp"
#include "lumen/metrics/meter.hpp"
#include "lumen/report/dashboard.hpp"

namespace {

constexpr std::uint64_t kT0 = 1'764'288'000'000'000'000ULL;
constexpr std::uint64_t kTick = 10'000'000'000ULL;

struct Fixture {
  lumen::ManualClock clock{kT0};
  lumen::metrics::MeterProvider provider;
  lumen::beautifyai::Metrics ai{provider.meter(lumen::beautifyai::kServiceName)};
  std::unique_ptr<lumen::report::Dashboard> dash;

  explicit Fixture(int ticks) {
    dash = std::make_unique<lumen::report::Dashboard>(
        provider, lumen::report::DashboardOptions{.profile = lumen::beautifyai::report_profile(),
                                                  .clock = &clock});
    const char* models[] = {"gemini-2.0-flash", "gemini-1.5-pro", "gpt-4o-mini", "claude-3-haiku"};
    for (int i = 0; i < ticks; ++i) {
      for (int m = 0; m < 4; ++m) {
        for (int k = 0; k < 5; ++k) {
          ai.record_ai_request(models[m], k != 0 || i % 4 != 0, 100.0 + 40.0 * k, 300);
          ai.record_ai_tokens(models[m], 200, 100);
        }
      }
      ai.record_cache_lookup("document", i % 3 != 0);
      ai.set_queue_depth(i % 17);
      clock.advance(std::chrono::seconds(10));
      dash->sample();
    }
  }
};

Fixture& day() {
  static Fixture f(8640);  // 24 h at 10 s
  return f;
}

void BM_StoreRecordSnapshot(benchmark::State& state) {
  Fixture f(1);
  std::uint64_t t = kT0 + kTick;
  const auto snap = f.provider.collect();
  for (auto _ : state) {
    t += kTick;
    benchmark::DoNotOptimize(f.dash->store().record(snap, t));
  }
  state.counters["columns"] = static_cast<double>(f.dash->store().stats().columns);
}
BENCHMARK(BM_StoreRecordSnapshot);

void BM_StoreIncrease1h(benchmark::State& state) {
  Fixture& f = day();
  const std::uint64_t now = f.clock.wall_ns();
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.dash->store().increase("ai.requests", {}, now - 360 * kTick, now));
  }
}
BENCHMARK(BM_StoreIncrease1h);

// The peer: every series as a std::map from time to value, the window found by lower_bound.
void BM_NaiveMapIncrease1h(benchmark::State& state) {
  std::vector<std::map<std::uint64_t, double>> series(8);
  for (std::uint64_t i = 0; i < 8640; ++i) {
    for (auto& s : series) s[kT0 + i * kTick] = static_cast<double>(i * 5);
  }
  const std::uint64_t now = kT0 + 8639 * kTick;
  for (auto _ : state) {
    double total = 0;
    for (auto& s : series) {
      auto it = s.upper_bound(now - 360 * kTick);
      if (it != s.begin()) --it;
      double prev = it->second;
      for (++it; it != s.end() && it->first <= now; ++it) {
        total += it->second >= prev ? it->second - prev : it->second;
        prev = it->second;
      }
    }
    benchmark::DoNotOptimize(total);
  }
}
BENCHMARK(BM_NaiveMapIncrease1h);

void BM_Report(benchmark::State& state) {
  Fixture& f = day();
  const auto period = static_cast<lumen::report::Period>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(f.dash->report_json(period));
}
BENCHMARK(BM_Report)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);

void BM_DashboardPage(benchmark::State& state) {
  Fixture& f = day();
  const auto period = static_cast<lumen::report::Period>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(f.dash->render_html(period));
}
BENCHMARK(BM_DashboardPage)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
