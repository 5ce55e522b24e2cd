// The dashboard under concurrent use: the sampler thread, request threads recording metrics,
// readers generating reports and pages, and alerts posting to a webhook, all at once. Run under
// TSan in CI.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "lumen/beautifyai/metrics.hpp"
#include "lumen/beautifyai/report_profile.hpp"
#include "lumen/metrics/meter.hpp"
#include "lumen/report/dashboard.hpp"

namespace lumen::report {
namespace {

TEST(ReportDashboardStress, ConcurrentRecordingSamplingAndReadingStayConsistent) {
  metrics::MeterProvider provider;
  beautifyai::Metrics ai(provider.meter("beautifyai"));
  std::atomic<int> posted{0};
  DashboardOptions opt;
  opt.profile = beautifyai::report_profile();
  opt.sample_interval = std::chrono::milliseconds(2);
  opt.alerts.thresholds = {{"queue", "queue_depth", 5, 2, 1, "warning"}};
  opt.webhook = {.url = "http://127.0.0.1:1/hook",
                 .queue_capacity = 8,
                 .transport = [&](const std::string&, const std::string&, auto) {
                   posted.fetch_add(1);
                   return 200;
                 }};
  Dashboard dash(provider, opt);
  dash.start();
  std::atomic<bool> stop{false};
  std::atomic<long> recorded{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 3; ++w) {
    threads.emplace_back([&, w] {
      const char* models[] = {"gemini-2.0-flash", "gpt-4o-mini", "claude-3-haiku"};
      int i = 0;
      while (!stop.load()) {
        ai.record_ai_request(models[w], i % 7 != 0, 50.0 + i % 100, 100);
        ai.record_ai_tokens(models[w], 60, 40);
        ai.record_cache_lookup("document", i % 2 == 0);
        ai.set_queue_depth(i % 10);  // crosses the alert's lines back and forth
        recorded.fetch_add(1);
        ++i;
      }
    });
  }
  std::atomic<int> pages{0};
  threads.emplace_back([&] {
    while (!stop.load()) {
      const Report r = dash.report(Period::k5m);
      // Every figure of a report comes from the same samples, even while the sampler records.
      EXPECT_GE(r.ai.success_rate, 0.0);
      EXPECT_LE(r.ai.success_rate, 1.0);
      for (const auto& m : r.ai.models) EXPECT_LE(m.failures, m.requests) << m.model;
      EXPECT_LE(r.cache.hits, r.cache.lookups);
      EXPECT_FALSE(dash.render_html(Period::k1h, true).empty());
      pages.fetch_add(1);
    }
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while ((dash.stats().samples < 50 || pages.load() < 20) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stop.store(true);
  for (auto& t : threads) t.join();
  dash.stop();
  EXPECT_GE(dash.stats().samples, 50U);
  EXPECT_GE(pages.load(), 20);
  // Every request recorded before the last sample is in it: a final sample covers them all.
  dash.sample_at(dash.now_ns() + 1'000'000'000ULL);
  const Report r = dash.report(Period::k24h);
  EXPECT_LE(r.ai.total_requests, static_cast<double>(recorded.load()));
  EXPECT_GT(r.ai.total_requests, 0.0);
}

}  // namespace
}  // namespace lumen::report
