#include "lumen/report/dashboard.hpp"

#include <gtest/gtest.h>

#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "lumen/beautifyai/metrics.hpp"
#include "lumen/beautifyai/report_profile.hpp"
#include "lumen/core/error.hpp"
#include "lumen/metrics/meter.hpp"

namespace lumen::report {
namespace {

namespace fs = std::filesystem;
constexpr std::uint64_t kMidnight = 1'764'288'000'000'000'000ULL;  // 2025-11-28T00:00:00Z
constexpr std::uint64_t kMinute = 60'000'000'000ULL;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path fresh_dir(const std::string& name) {
  const fs::path d =
      fs::temp_directory_path() / ("lumen_report_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

TEST(Dashboard, DailyReportIsWrittenOnceAfterTheConfiguredTime) {
  const fs::path dir = fresh_dir("daily");
  metrics::MeterProvider provider;
  beautifyai::Metrics ai(provider.meter("beautifyai"));
  ManualClock clock(kMidnight + 3 * kMinute);
  Dashboard dash(provider, {.profile = beautifyai::report_profile(),
                            .report_dir = dir.string(),
                            .daily_hour_utc = 0,
                            .daily_minute_utc = 5,
                            .clock = &clock});
  dash.sample();
  ai.record_ai_request("gemini-2.0-flash", true, 120, 100);
  clock.advance(std::chrono::minutes(1));
  dash.sample();  // 00:04: not yet
  EXPECT_EQ(dash.stats().daily_reports_written, 0U);
  clock.advance(std::chrono::minutes(2));
  dash.sample();  // 00:06: due
  clock.advance(std::chrono::minutes(1));
  dash.sample();  // 00:07: already written today
  EXPECT_EQ(dash.stats().daily_reports_written, 1U);
  const auto json = nlohmann::json::parse(slurp(dir / "report-2025-11-28.json"));
  EXPECT_EQ(json["period"], "24h");
  EXPECT_EQ(json["aiPerformance"]["totalRequests"], 1.0);
  const std::string html = slurp(dir / "report-2025-11-28.html");
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);  // a static file: no refresh script
  EXPECT_FALSE(fs::exists(dir / "report-2025-11-28.json.tmp"));
  fs::remove_all(dir);
}

TEST(Dashboard, MissingReportDirectoryIsACountedErrorNotACrash) {
  metrics::MeterProvider provider;
  ManualClock clock(kMidnight);
  Dashboard dash(provider, {.profile = beautifyai::report_profile(),
                            .report_dir = "/nonexistent/lumen/reports",
                            .clock = &clock});
  const DailyReportResult r = dash.write_daily_report();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("/nonexistent/lumen/reports"), std::string::npos) << r.error;
  EXPECT_EQ(dash.stats().daily_report_errors, 1U);
  Dashboard no_dir(provider, {.clock = &clock});
  EXPECT_FALSE(no_dir.write_daily_report().ok);
}

TEST(Dashboard, AFullDiskIsACountedErrorNotACrash) {
  // /dev/full accepts opens and fails every write with ENOSPC: a report "directory" whose files
  // are that device is what a full disk looks like to the writer.
  if (!fs::exists("/dev/full")) GTEST_FAIL() << "/dev/full is missing";
  const fs::path dir = fresh_dir("full");
  fs::create_symlink("/dev/full", dir / "report-2025-11-28.json.tmp");
  metrics::MeterProvider provider;
  ManualClock clock(kMidnight);
  Dashboard dash(
      provider,
      {.profile = beautifyai::report_profile(), .report_dir = dir.string(), .clock = &clock});
  const DailyReportResult r = dash.write_daily_report();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("No space left"), std::string::npos) << r.error;
  EXPECT_EQ(dash.stats().daily_report_errors, 1U);
  fs::remove_all(dir);
}

TEST(Dashboard, SamplerThreadSamplesUntilStopped) {
  metrics::MeterProvider provider;
  Dashboard dash(provider, {.sample_interval = std::chrono::milliseconds(5)});
  dash.start();
  dash.start();  // idempotent
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (dash.stats().samples < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_GE(dash.stats().samples, 3U);
  dash.stop();
  const auto after = dash.stats().samples;
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(dash.stats().samples, after);
}

TEST(Dashboard, OptionsFromTheEnvironment) {
  const Environment env({{"REPORT_SAMPLE_INTERVAL_MS", "2000"},
                         {"ALERT_WEBHOOK_URL", "http://127.0.0.1:9/hook"},
                         {"REPORT_DIR", "/var/reports"},
                         {"REPORT_DAILY_TIME", "06:30"},
                         {"REPORT_APDEX_TARGET_S", "0.3"}});
  const DashboardOptions o = DashboardOptions::from_environment(env);
  EXPECT_EQ(o.sample_interval, std::chrono::seconds(2));
  EXPECT_EQ(o.store.raw_interval, std::chrono::seconds(2));
  EXPECT_EQ(o.webhook.url, "http://127.0.0.1:9/hook");
  EXPECT_EQ(o.report_dir, "/var/reports");
  EXPECT_EQ(o.daily_hour_utc, 6);
  EXPECT_EQ(o.daily_minute_utc, 30);
  EXPECT_DOUBLE_EQ(o.report.apdex_default_target, 0.3);
  EXPECT_THROW((void)DashboardOptions::from_environment(
                   Environment(std::map<std::string, std::string>{{"REPORT_DAILY_TIME", "25:00"}})),
               Error);
  EXPECT_THROW(
      (void)DashboardOptions::from_environment(Environment(
          std::map<std::string, std::string>{{"REPORT_PRICING_FILE", "/nonexistent.json"}})),
      Error);
}

TEST(Dashboard, AlertsFiringAppearInTheReport) {
  metrics::MeterProvider provider;
  beautifyai::Metrics ai(provider.meter("beautifyai"));
  ManualClock clock(kMidnight);
  Dashboard dash(provider, {.profile = beautifyai::report_profile(), .clock = &clock});
  ai.set_queue_depth(900);
  for (int i = 0; i < 3; ++i) {
    clock.advance(std::chrono::seconds(10));
    dash.sample();
  }
  const Report r = dash.report(Period::k5m);
  ASSERT_FALSE(r.alerts.empty());
  EXPECT_EQ(r.alerts[0].name, "queue_depth_high");
  EXPECT_NE(dash.render_html(Period::k5m).find("queue_depth_high"), std::string::npos);
}

}  // namespace
}  // namespace lumen::report
