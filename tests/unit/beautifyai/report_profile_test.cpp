#include "lumen/beautifyai/report_profile.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "lumen/beautifyai/metrics.hpp"
#include "lumen/metrics/meter.hpp"
#include "lumen/metrics/prometheus.hpp"
#include "lumen/report/report.hpp"

namespace lumen::beautifyai {
namespace {

constexpr std::uint64_t kT0 = 1'700'000'000'000'000'000ULL;
constexpr std::uint64_t kSec = 1'000'000'000ULL;

TEST(BeautifyAiReportProfile, NamesWhatMetricsRecordsWithItsPrometheusNames) {
  metrics::MeterProvider provider;
  Metrics ai(provider.meter(kServiceName));
  ai.record_ai_request("gemini-2.0-flash", false, 100, 10);
  ai.record_ai_tokens("gemini-2.0-flash", 5, 5);
  ai.record_ai_call_avoided("gemini-2.0-flash", AvoidedReason::kCache);
  ai.set_circuit_state("gemini-2.0-flash", CircuitState::kOpen);
  ai.record_cache_lookup("document", true);
  ai.record_cache_bytes_saved("document", 10);
  ai.record_error("timeout", "gemini-2.0-flash");
  ai.record_user_request("pro", 100);
  ai.record_queue_processing(5);
  const std::string text =
      metrics::serialize(provider.collect(), metrics::ExpositionFormat::kPrometheusText);
  const report::ReportProfile p = report_profile();
  for (const auto& [instrument, exposed] : p.prometheus_names) {
    EXPECT_NE(text.find("\n" + exposed), std::string::npos) << instrument << " -> " << exposed;
  }
  const report::ReportMetrics& m = p.metrics;
  for (const std::string* name :
       {&m.requests, &m.request_duration, &m.tokens, &m.token_usage, &m.calls_avoided,
        &m.circuit_state, &m.cache_requests, &m.cache_hits, &m.cache_saved_bytes, &m.errors,
        &m.active_connections, &m.queue_depth, &m.memory_usage, &m.user_request_duration}) {
    EXPECT_TRUE(p.prometheus_names.contains(*name)) << *name;
  }
}

TEST(BeautifyAiReportProfile, PricesTheModelsAtTheirListPrices) {
  const report::PricingTable t = model_prices();
  EXPECT_DOUBLE_EQ(t.cost("gemini-2.0-flash", 1000, 1000), 0.0001 + 0.0004);
  EXPECT_DOUBLE_EQ(t.cost("gemini-1.5-pro", 1000, 1000), 0.00125 + 0.005);
  EXPECT_DOUBLE_EQ(t.cost("gpt-4o-mini", 1000, 1000), 0.00015 + 0.0006);
  EXPECT_DOUBLE_EQ(t.cost("claude-3-haiku", 1000, 1000), 0.00025 + 0.00125);
  EXPECT_DOUBLE_EQ(t.cost("a-model-not-listed", 1000, 1000), 0.001 + 0.002);
  // A pricing file extends the table instead of replacing it.
  const report::PricingTable extended = report::PricingTable::parse(
      R"({"models": {"new-model": {"input_per_1k": 1, "output_per_1k": 1}}})", model_prices());
  EXPECT_DOUBLE_EQ(extended.price("gemini-2.0-flash").input_per_1k, 0.0001);
  EXPECT_DOUBLE_EQ(extended.price("new-model").input_per_1k, 1);
}

// The figures the report gave before the profile existed, when these names and prices were built
// into it: per-model costs (directed, undirected and unlisted models), failures, cache savings,
// Apdex by tier and the breaker recommendation.
TEST(BeautifyAiReportProfile, ReproducesTheReportOfTheReferenceService) {
  metrics::MeterProvider provider;
  Metrics ai(provider.meter(kServiceName));
  report::TimeSeriesStore store;
  store.record(provider.collect(), kT0);
  for (int i = 0; i < 20; ++i) {
    ai.record_ai_request("gemini-2.0-flash", i != 0, 200, 1500);
    ai.record_ai_tokens("gemini-2.0-flash", 1000, 500);
  }
  for (int i = 0; i < 10; ++i) ai.record_ai_request("claude-3-haiku", true, 400, 2000);
  ai.record_ai_request("llama-local", true, 100, 2000);
  ai.record_ai_tokens("llama-local", 1000, 1000);
  for (int i = 0; i < 6; ++i) ai.record_cache_lookup("document", i < 3);
  for (int i = 0; i < 2; ++i)
    ai.record_ai_call_avoided("claude-3-haiku", AvoidedReason::kCoalesced);
  for (int i = 0; i < 4; ++i) ai.record_user_request("free", 3000);
  ai.set_circuit_state("claude-3-haiku", CircuitState::kOpen);
  store.record(provider.collect(), kT0 + 10 * kSec);

  const report::Report r = report::ReportGenerator(store, {.profile = report_profile(), .cores = 2})
                               .generate(report::Period::k5m, kT0 + 10 * kSec);
  EXPECT_DOUBLE_EQ(r.ai.total_requests, 31);
  EXPECT_DOUBLE_EQ(r.ai.success_rate, 30.0 / 31);
  const double flash = 20 * (1000 * 0.0001 + 500 * 0.0004) / 1000;
  const double haiku = 10 * 2000 * (0.00025 + 0.00125) / 2 / 1000;  // undirected: mean price
  const double llama = (1000 * 0.001 + 1000 * 0.002) / 1000;        // the fallback price
  EXPECT_NEAR(r.ai.cost_by_model.at("gemini-2.0-flash"), flash, 1e-12);
  EXPECT_NEAR(r.ai.cost_by_model.at("claude-3-haiku"), haiku, 1e-12);
  EXPECT_NEAR(r.ai.cost_by_model.at("llama-local"), llama, 1e-12);
  EXPECT_NEAR(r.cost.total_cost, flash + haiku + llama, 1e-12);
  EXPECT_EQ(r.cost.cheapest_model, "gemini-2.0-flash");
  EXPECT_EQ(r.cost.most_expensive_model, "llama-local");
  EXPECT_DOUBLE_EQ(r.cache.hit_rate, 0.5);
  EXPECT_DOUBLE_EQ(r.cache.calls_avoided_by_coalescing, 2);
  // Two coalesced haiku calls at haiku's cost per request; with no reason="cache" data, each of the
  // three cache hits counts as one avoided call at the window's average cost per request.
  EXPECT_NEAR(r.cache.cost_savings, 2 * haiku / 10 + 3 * (flash + haiku + llama) / 31, 1e-12);
  ASSERT_EQ(r.apdex.size(), 1U);
  EXPECT_EQ(r.apdex[0].tier, "free");
  EXPECT_DOUBLE_EQ(r.apdex[0].score, 0.0);  // 3 s is past 4 T = 2 s: frustrated
  const bool breaker =
      std::any_of(r.recommendations.begin(), r.recommendations.end(),
                  [](const report::Recommendation& x) { return x.id == "circuit_breaker_open"; });
  EXPECT_TRUE(breaker);
}

}  // namespace
}  // namespace lumen::beautifyai
