// The report over a service that is not BeautifyAI: its own instrument names and prices, and the
// default profile (the OpenTelemetry HTTP server metrics).
#include "lumen/report/report_profile.hpp"

#include <gtest/gtest.h>

#include "lumen/metrics/meter.hpp"
#include "lumen/report/alerts.hpp"
#include "lumen/report/report.hpp"
#include "report_time.hpp"

namespace lumen::report {
namespace {

// A checkout service: orders by payment provider, declined ones failing, fees priced per unit.
ReportProfile checkout_profile() {
  ReportProfile p;
  p.metrics = {.requests = "orders.placed",
               .request_duration = "orders.place.duration",
               .group_label = "payment_provider",
               .failure_match = {{"outcome", "declined"}},
               .token_usage = "payment.fee.units",
               .active_connections = "",
               .queue_depth = "orders.backlog",
               .user_request_duration = "orders.place.duration",
               .tier_label = "payment_provider"};
  p.pricing.models = {{"stripe", {1.0, 2.0}}, {"paypal", {0.5, 0.5}}};
  return p;
}

TEST(ReportProfile, ACustomProfileReportsTheServicesOwnMetricsAndPrices) {
  metrics::MeterProvider provider;
  metrics::Meter& meter = provider.meter("checkout");
  auto orders = meter.create_counter<std::int64_t>("orders.placed");
  auto duration = meter.create_histogram("orders.place.duration", {.unit = "s"});
  auto fees = meter.create_counter<std::int64_t>("payment.fee.units");
  // BeautifyAI's names in the same process must not leak into this service's report.
  auto ai_requests = meter.create_counter<std::int64_t>("ai.requests");
  auto backlog = meter.create_observable_gauge(
      "orders.backlog", [](metrics::ObserverResult& r) { r.observe(std::int64_t{7}); });
  TimeSeriesStore store;
  store.record(provider.collect(), kT0);

  for (int i = 0; i < 40; ++i) {
    const char* outcome = i < 4 ? "declined" : "accepted";
    orders.add(1, {{"payment_provider", "stripe"}, {"outcome", outcome}});
    duration.record(0.2, {{"payment_provider", "stripe"}, {"outcome", outcome}});
  }
  for (int i = 0; i < 10; ++i) {
    orders.add(1, {{"payment_provider", "paypal"}, {"outcome", "accepted"}});
    duration.record(0.4, {{"payment_provider", "paypal"}, {"outcome", "accepted"}});
  }
  fees.add(1000, {{"payment_provider", "stripe"}, {"direction", "input"}});
  fees.add(500, {{"payment_provider", "stripe"}, {"direction", "output"}});
  fees.add(2000, {{"payment_provider", "paypal"}, {"direction", "input"}});
  ai_requests.add(999, {{"model", "gemini-2.0-flash"}, {"success", "false"}});
  store.record(provider.collect(), kT0 + 10 * kSec);

  const Report r = ReportGenerator(store, {.profile = checkout_profile(), .cores = 2})
                       .generate(Period::k5m, kT0 + 10 * kSec);
  EXPECT_DOUBLE_EQ(r.ai.total_requests, 50);
  EXPECT_DOUBLE_EQ(r.ai.success_rate, 46.0 / 50);
  EXPECT_DOUBLE_EQ(r.health.error_rate, 4.0 / 50);
  ASSERT_EQ(r.ai.models.size(), 2U);
  EXPECT_EQ(r.ai.models[0].model, "paypal");
  EXPECT_EQ(r.ai.models[1].model, "stripe");
  EXPECT_DOUBLE_EQ(r.ai.models[1].failures, 4);
  EXPECT_NEAR(r.ai.average_latency, (40 * 0.2 + 10 * 0.4) / 50, 1e-9);
  // stripe: 1,000 x 1.0 + 500 x 2.0 per 1,000; paypal: 2,000 x 0.5 per 1,000.
  EXPECT_NEAR(r.ai.cost_by_model.at("stripe"), 2.0, 1e-12);
  EXPECT_NEAR(r.ai.cost_by_model.at("paypal"), 1.0, 1e-12);
  EXPECT_NEAR(r.cost.total_cost, 3.0, 1e-12);
  EXPECT_EQ(r.cost.cheapest_model, "paypal");
  EXPECT_DOUBLE_EQ(r.health.queue_depth, 7);
  ASSERT_EQ(r.apdex.size(), 2U);
  EXPECT_EQ(r.apdex[0].tier, "paypal");
  EXPECT_DOUBLE_EQ(r.apdex[0].total, 10);
  EXPECT_DOUBLE_EQ(r.cache.lookups, 0);  // the profile names no cache

  const AlertEngine alerts(store, {.profile = checkout_profile()});
  const AlertSignals s = alerts.signals(kT0 + 10 * kSec);
  EXPECT_DOUBLE_EQ(s.requests, 50);
  EXPECT_DOUBLE_EQ(s.error_rate, 4.0 / 50);
  EXPECT_DOUBLE_EQ(s.queue_depth, 7);
  EXPECT_GT(s.cost_per_hour, 0);
}

TEST(ReportProfile, TheDefaultReadsTheOpenTelemetryHttpServerMetrics) {
  metrics::MeterProvider provider;
  metrics::Meter& meter = provider.meter("my-service");
  auto duration = meter.create_histogram("http.server.request.duration", {.unit = "s"});
  auto active = meter.create_up_down_counter<std::int64_t>("http.server.active_requests");
  TimeSeriesStore store;
  store.record(provider.collect(), kT0);
  for (int i = 0; i < 30; ++i) {
    duration.record(0.1, {{"http.route", "/orders"}, {"http.response.status_code", 200}});
  }
  for (int i = 0; i < 10; ++i) {
    duration.record(0.01, {{"http.route", "/health"}, {"http.response.status_code", 200}});
  }
  active.add(5);
  store.record(provider.collect(), kT0 + 10 * kSec);

  const Report r = ReportGenerator(store).generate(Period::k5m, kT0 + 10 * kSec);
  EXPECT_DOUBLE_EQ(r.ai.total_requests, 40);
  ASSERT_EQ(r.ai.models.size(), 2U);
  EXPECT_EQ(r.ai.models[0].model, "/health");
  EXPECT_DOUBLE_EQ(r.ai.models[0].requests, 10);
  EXPECT_DOUBLE_EQ(r.ai.models[1].requests, 30);
  EXPECT_DOUBLE_EQ(r.ai.success_rate, 1);
  EXPECT_NEAR(r.ai.request_rate, 4.0, 1e-9);
  EXPECT_GT(r.ai.p99_latency, 0.05);
  EXPECT_DOUBLE_EQ(r.health.active_connections, 5);
  // Nothing is priced: no cost, and no route is called cheaper than another.
  EXPECT_DOUBLE_EQ(r.cost.total_cost, 0);
  EXPECT_TRUE(r.cost.cheapest_model.empty());
  EXPECT_TRUE(r.cost.most_expensive_model.empty());
  ASSERT_EQ(r.apdex.size(), 2U);
  EXPECT_EQ(r.apdex[1].tier, "/orders");
  EXPECT_DOUBLE_EQ(r.apdex[1].score, 1.0);  // 0.1 s against the default 0.5 s target
}

}  // namespace
}  // namespace lumen::report
