#include "lumen/report/report.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "json_schema.hpp"
#include "lumen/beautifyai/metrics.hpp"
#include "lumen/beautifyai/report_profile.hpp"
#include "lumen/core/error.hpp"
#include "lumen/metrics/meter.hpp"
#include "report_time.hpp"
#include "sample_lands_during_queries.hpp"

namespace lumen::report {
namespace {

nlohmann::json report_schema() {
  std::ifstream in(std::string(LUMEN_TEST_TOOLS_DIR) + "/../../docs/report.schema.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

bool has_recommendation(const Report& r, std::string_view id) {
  return std::any_of(r.recommendations.begin(), r.recommendations.end(),
                     [&](const Recommendation& x) { return x.id == id; });
}

std::string recommendation_ids(const Report& r) {
  std::string out;
  for (const auto& x : r.recommendations) out += x.id + " ";
  return out;
}

class ReportTest : public ::testing::Test {
 protected:
  ReportTest() : ai_(provider_.meter("beautifyai")), generator_(store_, options()) {
    store_.record(provider_.collect(), now_);  // the baseline
  }
  static ReportOptions options() {
    ReportOptions o;
    o.profile = beautifyai::report_profile();
    o.cores = 2;
    o.apdex_targets = {{"pro", 0.25}};
    return o;
  }
  // One sample 10 s later.
  void tick() {
    now_ += 10 * kSec;
    store_.record(provider_.collect(), now_);
  }
  // `n` requests of `model` with latency `ms`, `failed` of them failing.
  void requests(std::string_view model, int n, int failed, double ms, std::int64_t in = 100,
                std::int64_t out = 50) {
    for (int i = 0; i < n; ++i) {
      const bool ok = i >= failed;
      ai_.record_ai_request(model, ok, ms, in + out);
      ai_.record_ai_tokens(model, in, out);
    }
  }
  void cache(std::string_view type, int hits, int misses) {
    for (int i = 0; i < hits; ++i) ai_.record_cache_lookup(type, true);
    for (int i = 0; i < misses; ++i) ai_.record_cache_lookup(type, false);
  }
  Report report(Period p = Period::k5m) { return generator_.generate(p, now_); }

  metrics::MeterProvider provider_;
  beautifyai::Metrics ai_;
  TimeSeriesStore store_;
  ReportGenerator generator_;
  std::uint64_t now_ = kT0;
};

TEST_F(ReportTest, HealthyWorkloadGivesExactFiguresAndNoRecommendations) {
  requests("gemini-2.0-flash", 90, 1, 200, /*in=*/1000, /*out=*/500);
  requests("gpt-4o-mini", 10, 0, 300, /*in=*/1000, /*out=*/500);
  cache("document", 80, 20);
  ai_.record_cache_bytes_saved("document", 4096);
  ai_.set_queue_depth(3);
  ai_.set_active_connections(12);
  for (int i = 0; i < 100; ++i) ai_.record_user_request("pro", 100);
  tick();
  const Report r = report();
  EXPECT_DOUBLE_EQ(r.ai.total_requests, 100);
  EXPECT_DOUBLE_EQ(r.ai.success_rate, 0.99);
  EXPECT_DOUBLE_EQ(r.health.error_rate, 0.01);
  EXPECT_NEAR(r.ai.average_latency, 0.21, 1e-9);
  EXPECT_GT(r.ai.p99_latency, 0.25);  // the 300 ms requests sit in the (0.25, 0.5] bucket
  EXPECT_LE(r.ai.p99_latency, 0.5);
  // 90 x (1000 in x 0.0001 + 500 out x 0.0004) / 1000 and 10 x (1000 x 0.00015 + 500 x 0.0006) /
  // 1000
  EXPECT_NEAR(r.ai.cost_by_model.at("gemini-2.0-flash"), 90 * 0.0003, 1e-12);
  EXPECT_NEAR(r.ai.cost_by_model.at("gpt-4o-mini"), 10 * 0.00045, 1e-12);
  EXPECT_DOUBLE_EQ(r.cache.hit_rate, 0.8);
  EXPECT_DOUBLE_EQ(r.cache.hits_by_type.at("document"), 80);
  EXPECT_DOUBLE_EQ(r.cache.memory_saved, 4096);
  // Without ai_calls_avoided_total every hit counts as one avoided call at the average cost.
  EXPECT_NEAR(r.cache.cost_savings, 80 * (90 * 0.0003 + 10 * 0.00045) / 100, 1e-12);
  EXPECT_DOUBLE_EQ(r.health.queue_depth, 3);
  EXPECT_DOUBLE_EQ(r.health.active_connections, 12);
  EXPECT_GT(r.health.memory_usage, 0);
  ASSERT_EQ(r.apdex.size(), 1U);
  EXPECT_EQ(r.apdex[0].tier, "pro");
  EXPECT_DOUBLE_EQ(r.apdex[0].target, 0.25);
  EXPECT_DOUBLE_EQ(r.apdex[0].score, 1.0);
  EXPECT_EQ(r.cost.cheapest_model, "gemini-2.0-flash");
  EXPECT_NEAR(r.cost.savings_if_cheapest, 10 * (0.00045 - 0.0003), 1e-12);
  EXPECT_DOUBLE_EQ(r.covered_seconds, 10);
  EXPECT_TRUE(r.recommendations.empty()) << recommendation_ids(r);
}

TEST_F(ReportTest, TheOriginalThreeRulesFire) {
  requests("gemini-1.5-pro", 100, 10, 6000);
  cache("document", 30, 70);
  tick();
  const Report r = report();
  EXPECT_TRUE(has_recommendation(r, "cache_hit_rate_low")) << recommendation_ids(r);
  EXPECT_TRUE(has_recommendation(r, "error_rate_high")) << recommendation_ids(r);
  EXPECT_TRUE(has_recommendation(r, "p99_latency_high")) << recommendation_ids(r);
}

TEST_F(ReportTest, OneModelFailingOrCostingFarMoreThanTheOthersIsNamed) {
  requests("gemini-2.0-flash", 100, 1, 200);
  requests("gpt-4o-mini", 100, 2, 200);
  requests("claude-3-haiku", 100, 40, 200, 20000, 20000);
  tick();
  const Report r = report();
  const auto it =
      std::find_if(r.recommendations.begin(), r.recommendations.end(),
                   [](const Recommendation& x) { return x.id == "model_failure_rate_outlier"; });
  ASSERT_NE(it, r.recommendations.end()) << recommendation_ids(r);
  EXPECT_NE(it->message.find("claude-3-haiku"), std::string::npos);
  EXPECT_TRUE(has_recommendation(r, "model_cost_outlier")) << recommendation_ids(r);
}

TEST_F(ReportTest, DroppedTelemetryOpenBreakersPoolWaitAndAGrowingQueueAreReported) {
  auto spans_dropped = provider_.meter("lumen").create_counter<std::int64_t>("lumen.spans.dropped");
  auto logs_dropped =
      provider_.meter("lumen").create_counter<std::int64_t>("lumen.log.records.dropped");
  auto pool_wait = provider_.meter("lumen").create_histogram("lumen.pool.wait_time", {.unit = "s"});
  ai_.set_circuit_state("gemini-1.5-pro", beautifyai::CircuitState::kOpen);
  ai_.set_circuit_state("gpt-4o-mini", beautifyai::CircuitState::kClosed);
  for (int i = 0; i < 6; ++i) {
    ai_.set_queue_depth(10 + 20 * i);
    tick();
  }
  spans_dropped.add(5);
  logs_dropped.add(2);
  for (int i = 0; i < 50; ++i) pool_wait.record(0.8, {{"pool", "db"}});
  tick();
  const Report r = report();
  for (const char* id : {"spans_dropped", "log_records_dropped", "pool_wait_high",
                         "queue_depth_growing", "circuit_breaker_open"}) {
    EXPECT_TRUE(has_recommendation(r, id)) << id << ": " << recommendation_ids(r);
  }
  const auto open =
      std::count_if(r.recommendations.begin(), r.recommendations.end(),
                    [](const Recommendation& x) { return x.id == "circuit_breaker_open"; });
  EXPECT_EQ(open, 1);  // gpt-4o-mini is closed
  ASSERT_TRUE(r.capacity.seconds_to_queue_saturation.has_value());
  // From 0 (the baseline) to 110 in 70 s, toward the capacity of 1000.
  EXPECT_NEAR(*r.capacity.seconds_to_queue_saturation, (1000.0 - 110.0) / (110.0 / 70.0), 1e-6);
}

TEST_F(ReportTest, ApdexCountsSatisfiedAndToleratingPerTier) {
  // Default target 0.5 s for "free": 0.4 s satisfied, 1.0 s tolerating (<= 2 s), 3 s frustrated.
  for (int i = 0; i < 50; ++i) ai_.record_user_request("free", 400);
  for (int i = 0; i < 30; ++i) ai_.record_user_request("free", 1000);
  for (int i = 0; i < 20; ++i) ai_.record_user_request("free", 3000);
  tick();
  const Report r = report();
  ASSERT_EQ(r.apdex.size(), 1U);
  EXPECT_DOUBLE_EQ(r.apdex[0].total, 100);
  EXPECT_DOUBLE_EQ(r.apdex[0].satisfied, 50);
  EXPECT_DOUBLE_EQ(r.apdex[0].tolerating, 30);
  EXPECT_DOUBLE_EQ(r.apdex[0].score, (50 + 15) / 100.0);
}

TEST_F(ReportTest, CoalescedAndCachedCallsArePricedPerModel) {
  requests("gemini-1.5-pro", 10, 0, 200, 1000, 1000);  // 0.00625 per call
  for (int i = 0; i < 4; ++i)
    ai_.record_ai_call_avoided("gemini-1.5-pro", beautifyai::AvoidedReason::kCoalesced);
  for (int i = 0; i < 6; ++i)
    ai_.record_ai_call_avoided("gemini-1.5-pro", beautifyai::AvoidedReason::kCache);
  tick();
  const Report r = report();
  EXPECT_DOUBLE_EQ(r.cache.calls_avoided_by_coalescing, 4);
  EXPECT_DOUBLE_EQ(r.cache.calls_avoided_by_cache, 6);
  EXPECT_NEAR(r.cache.cost_savings, 10 * 0.00625, 1e-12);
}

TEST_F(ReportTest, WindowExcludesWhatHappenedBeforeIt) {
  requests("gemini-2.0-flash", 100, 50, 200);
  tick();
  for (int i = 0; i < 40; ++i) tick();  // 400 s of silence
  requests("gemini-2.0-flash", 10, 0, 200);
  tick();
  const Report five = report(Period::k5m);
  EXPECT_DOUBLE_EQ(five.ai.total_requests, 10);
  EXPECT_DOUBLE_EQ(five.ai.success_rate, 1.0);
  const Report hour = report(Period::k1h);
  EXPECT_DOUBLE_EQ(hour.ai.total_requests, 110);
}

TEST_F(ReportTest, ASampleLandingWhileTheReportRunsIsLeftOutOfEveryFigure) {
  requests("gemini-2.0-flash", 10, 5, 200);
  tick();
  requests("gemini-2.0-flash", 10, 10, 200);  // all failing, in the sample that lands late
  cache("document", 0, 10);
  const std::uint64_t report_time = now_ + 10 * kSec;
  testing::SampleLandsDuringQueries source(
      store_, [&] { store_.record(provider_.collect(), now_ + 5 * kSec); });
  const Report r = ReportGenerator(source, options()).generate(Period::k5m, report_time);
  EXPECT_DOUBLE_EQ(r.ai.total_requests, 10);
  ASSERT_EQ(r.ai.models.size(), 1U);
  EXPECT_DOUBLE_EQ(r.ai.models[0].failures, 5);
  EXPECT_DOUBLE_EQ(r.ai.success_rate, 0.5);
  EXPECT_DOUBLE_EQ(r.cache.lookups, 0);
  // The next report sees the sample whole.
  const Report next = generator_.generate(Period::k5m, report_time);
  EXPECT_DOUBLE_EQ(next.ai.total_requests, 20);
  EXPECT_DOUBLE_EQ(next.ai.models[0].failures, 15);
  EXPECT_DOUBLE_EQ(next.ai.success_rate, 0.25);
  EXPECT_DOUBLE_EQ(next.cache.lookups, 10);
}

TEST_F(ReportTest, JsonValidatesAgainstTheSchema) {
  requests("gemini-2.0-flash", 100, 10, 6000);
  cache("document", 10, 90);
  ai_.set_queue_depth(5);
  for (int i = 0; i < 10; ++i) ai_.record_user_request("pro", 100);
  tick();
  Report r = report(Period::k1h);
  r.alerts.push_back({"error_rate", "critical", "firing", 0.1, 0.05, now_, "error rate 10%"});
  const nlohmann::json j = nlohmann::json::parse(to_json(r));
  const auto errors = testing::validate_json(j, report_schema());
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(j["period"], "1h");
  EXPECT_EQ(j["aiPerformance"]["totalRequests"], 100.0);
  EXPECT_EQ(j["alerts"][0]["state"], "firing");
  // The validator itself rejects what it should.
  nlohmann::json bad = j;
  bad["aiPerformance"]["successRate"] = 1.5;
  bad["systemHealth"].erase("cpuUsage");
  bad["recommendations"][0]["severity"] = "meh";
  EXPECT_EQ(testing::validate_json(bad, report_schema()).size(), 3U);
}

TEST_F(ReportTest, EmptyStoreGivesAValidReportWithoutRecommendations) {
  const Report r = report(Period::k24h);
  EXPECT_EQ(r.ai.total_requests, 0);
  EXPECT_EQ(r.ai.success_rate, 1.0);
  EXPECT_TRUE(r.recommendations.empty()) << recommendation_ids(r);
  const auto errors = testing::validate_json(nlohmann::json::parse(to_json(r)), report_schema());
  EXPECT_TRUE(errors.empty()) << errors.front();
}

TEST(Period, ParsesTheThreePeriodsOnly) {
  EXPECT_EQ(parse_period("5m"), Period::k5m);
  EXPECT_EQ(parse_period("1h"), Period::k1h);
  EXPECT_EQ(parse_period("24h"), Period::k24h);
  EXPECT_FALSE(parse_period("2h").has_value());
  EXPECT_FALSE(parse_period("").has_value());
  EXPECT_EQ(period_ns(Period::k5m), 300 * kSec);
}

TEST(PricingTable, FileOverridesAndExtendsTheBaseTable) {
  PricingTable base;
  base.models = {{"base-model", {0.25, 0.75}}, {"my-model", {9, 9}}};
  const PricingTable t = PricingTable::parse(
      R"({"models": {"my-model": {"input_per_1k": 1, "output_per_1k": 2}}, "default": {"input_per_1k": 0.5, "output_per_1k": 0.5}})",
      base);
  EXPECT_DOUBLE_EQ(t.cost("my-model", 1000, 500), 2.0);
  EXPECT_DOUBLE_EQ(t.cost("unknown", 2000, 0), 1.0);
  EXPECT_DOUBLE_EQ(t.price("base-model").input_per_1k, 0.25);
  EXPECT_THROW((void)PricingTable::parse(R"({"models": {"x": {"input_per_1k": "cheap"}}})"), Error);
  EXPECT_THROW((void)PricingTable::parse("not json"), Error);
  EXPECT_THROW((void)PricingTable::load("/nonexistent/pricing.json"), Error);
}

TEST(PricingTable, AnEmptyTablePricesEverythingAtZero) {
  const PricingTable t;
  EXPECT_DOUBLE_EQ(t.cost("any-model", 1e6, 1e6), 0.0);
  EXPECT_DOUBLE_EQ(t.cost_undirected("any-model", 1e6), 0.0);
}

}  // namespace
}  // namespace lumen::report
