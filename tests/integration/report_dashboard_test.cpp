// The dashboard and the report served by a real AdminServer on 127.0.0.1, and the page loaded in
// headless Chromium: it renders the charts of a known workload, refreshes itself, logs no console
// error, and a screenshot is kept under the build directory (report_artifacts/).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "../unit/report/json_schema.hpp"
#include "http_client.hpp"
#include "lumen/admin/admin_server.hpp"
#include "lumen/beautifyai/metrics.hpp"
#include "lumen/beautifyai/report_profile.hpp"
#include "lumen/core/clock.hpp"
#include "lumen/export/memory_exporter.hpp"
#include "lumen/metrics/meter.hpp"
#include "lumen/report/dashboard.hpp"

namespace lumen::report {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool on_path(const std::string& tool) {
  return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0;
}

struct ChromiumRun {
  int exit_code = -1;
  std::string dom;
  std::string log;
};

// Runs headless Chromium on `url` with a fresh profile; `extra` adds flags (--dump-dom,
// --screenshot=...). stdout and stderr go to files in `dir`.
ChromiumRun run_chromium(const std::string& url, const std::string& extra, const fs::path& dir) {
  fs::create_directories(dir);
  const fs::path profile = dir / "profile";
  fs::remove_all(profile);
  fs::create_directories(profile);
  const std::string cmd =
      "cd '" + dir.string() +
      "' && timeout 60 chromium --headless --no-sandbox --disable-gpu "
      "--no-first-run --disable-background-networking --disable-component-update --disable-sync "
      "--enable-logging=stderr --v=0 --virtual-time-budget=5000 --window-size=1280,1600 "
      "--user-data-dir='" +
      profile.string() + "' " + extra + " '" + url + "' >'" + (dir / "stdout.txt").string() +
      "' 2>'" + (dir / "stderr.txt").string() + "'";
  ChromiumRun r;
  const int status = std::system(cmd.c_str());
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.dom = read_file(dir / "stdout.txt");
  r.log = read_file(dir / "stderr.txt");
  fs::remove_all(profile);
  return r;
}

// Every console message Chromium logs (`INFO:CONSOLE:1] "Uncaught ReferenceError: ..."`); the page
// writes nothing to the console, so any message is an error or a failed resource load.
std::vector<std::string> console_errors(const std::string& log) {
  std::vector<std::string> out;
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(":CONSOLE") != std::string::npos || line.find("Uncaught") != std::string::npos) {
      out.push_back(line);
    }
  }
  return out;
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++n;
  return n;
}

class DashboardServe : public ::testing::Test {
 protected:
  DashboardServe()
      : ai_(provider_.meter("beautifyai")),
        spans_(std::make_shared<exporters::InMemorySpanExporter>(100)),
        dash_(provider_, options()) {
    serve(admin_, dash_);
    admin_.route("/broken", [](const admin::AdminRequest&) {
      admin::AdminResponse r;
      r.content_type = "text/html; charset=utf-8";
      r.body =
          "<!DOCTYPE html><html><head><link rel=\"icon\" href=\"data:,\"></head><body>"
          "<script>undefined_function_on_purpose();</script></body></html>";
      return r;
    });
    admin_.start();
  }
  DashboardOptions options() {
    DashboardOptions o;
    o.profile = beautifyai::report_profile();
    o.clock = &clock_;
    o.spans = spans_;
    o.page_refresh = std::chrono::seconds(1);
    o.report.cores = 2;
    return o;
  }
  // 30 minutes of a known workload, sampled every 10 s: flash 10 req per tick at 200 ms,
  // gpt-4o-mini 5 per tick at 800 ms with one failure, a cache at 75 %, a queue of 4.
  void workload() {
    dash_.sample_at(clock_.wall_ns());
    for (int i = 0; i < 180; ++i) {
      for (int k = 0; k < 10; ++k) {
        ai_.record_ai_request("gemini-2.0-flash", true, 200, 300);
        ai_.record_ai_tokens("gemini-2.0-flash", 200, 100);
      }
      for (int k = 0; k < 5; ++k) {
        ai_.record_ai_request("gpt-4o-mini", k != 0, 800, 600);
        ai_.record_ai_tokens("gpt-4o-mini", 400, 200);
      }
      for (int k = 0; k < 4; ++k) ai_.record_cache_lookup("document", k != 0);
      ai_.set_queue_depth(4);
      ai_.set_active_connections(7);
      clock_.advance(std::chrono::seconds(10));
      dash_.sample_at(clock_.wall_ns());
    }
    std::vector<std::unique_ptr<trace::SpanData>> batch;
    auto failed = std::make_unique<trace::SpanData>();
    failed->name = "ai.generate failed-call";
    failed->start_ns = clock_.wall_ns() - 2'000'000'000ULL;
    failed->end_ns = clock_.wall_ns() - 1'900'000'000ULL;
    failed->status = trace::StatusCode::kError;
    failed->status_message = "upstream 503";
    batch.push_back(std::move(failed));
    auto slow = std::make_unique<trace::SpanData>();
    slow->name = "image.optimize slow-call";
    slow->start_ns = clock_.wall_ns() - 5'000'000'000ULL;
    slow->end_ns = clock_.wall_ns() - 1'500'000'000ULL;
    batch.push_back(std::move(slow));
    (void)spans_->export_spans(batch, std::chrono::steady_clock::now() + std::chrono::seconds(1));
  }
  std::string url(const std::string& target) const {
    return "http://127.0.0.1:" + std::to_string(admin_.port()) + target;
  }

  ManualClock clock_{1'764'288'000'000'000'000ULL};  // 2025-11-28T00:00:00Z
  metrics::MeterProvider provider_;
  beautifyai::Metrics ai_;
  std::shared_ptr<exporters::InMemorySpanExporter> spans_;
  Dashboard dash_;
  admin::AdminServer admin_{{.port = 0}};
};

TEST_F(DashboardServe, ReportEndpointAnswersValidJsonAndRejectsABadPeriod) {
  workload();
  const auto r = testing::http_get(admin_.port(), "/report?period=1h");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.headers.at("content-type").find("application/json"), std::string::npos);
  const nlohmann::json j = nlohmann::json::parse(r.body);
  const nlohmann::json schema = nlohmann::json::parse(
      read_file(fs::path(LUMEN_TEST_TOOLS_DIR) / ".." / ".." / "docs" / "report.schema.json"));
  const auto errors = testing::validate_json(j, schema);
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(j["aiPerformance"]["totalRequests"], 180.0 * 15);
  EXPECT_NEAR(j["aiPerformance"]["successRate"].get<double>(), 1.0 - 180.0 / 2700.0, 1e-12);
  EXPECT_EQ(j["cachePerformance"]["hitRate"], 0.75);

  const auto five =
      nlohmann::json::parse(testing::http_get(admin_.port(), "/report?period=5m").body);
  EXPECT_EQ(five["aiPerformance"]["totalRequests"], 30.0 * 15);

  const auto bad = testing::http_get(admin_.port(), "/report?period=2h");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(nlohmann::json::parse(bad.body)["error"].get<std::string>().find("5m, 1h or 24h"),
            std::string::npos);
  const auto bad_page = testing::http_get(admin_.port(), "/dashboard?period=1y");
  EXPECT_EQ(bad_page.status, 400);
}

TEST_F(DashboardServe, PageRendersTheChartsOfTheWorkload) {
  workload();
  const auto r = testing::http_get(admin_.port(), "/dashboard?period=1h");
  ASSERT_EQ(r.status, 200);
  const std::string& html = r.body;
  EXPECT_EQ(html.find("http://"), std::string::npos) << "the page must not load anything external";
  EXPECT_EQ(html.find("https://"), std::string::npos);
  for (const char* id : {"chart-rate", "chart-latency", "chart-errors", "chart-cache", "chart-cost",
                         "chart-queue"}) {
    EXPECT_NE(html.find(std::string("id=\"") + id + "\""), std::string::npos) << id;
  }
  // 30 minutes of data in a 1 h window of 60 steps: about 30 points per series.
  const std::regex flash(R"re(data-series="gemini-2.0-flash" data-count="(\d+)")re");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(html, m, flash));
  EXPECT_GE(std::stoi(m[1]), 28);
  EXPECT_LE(std::stoi(m[1]), 31);
  EXPECT_NE(html.find("data-series=\"gpt-4o-mini p99\""), std::string::npos);
  EXPECT_NE(html.find("data-series=\"error rate\""), std::string::npos);
  EXPECT_NE(html.find("ai.generate failed-call"), std::string::npos);
  EXPECT_NE(html.find("image.optimize slow-call"), std::string::npos);
  const auto partial = testing::http_get(admin_.port(), "/dashboard?period=1h&partial=1");
  EXPECT_EQ(partial.body.find("<html"), std::string::npos);
  EXPECT_NE(partial.body.find("chart-rate"), std::string::npos);
}

TEST_F(DashboardServe, HeadlessChromiumDrawsTheChartsWithoutConsoleErrors) {
  ASSERT_TRUE(on_path("chromium"))
      << "chromium is not on PATH: run scripts/bootstrap.sh (Debian package 'chromium')";
  workload();
  const fs::path dir = fs::current_path() / "report_artifacts";

  // The console check itself: a page with an error must be caught.
  const ChromiumRun broken = run_chromium(url("/broken"), "--dump-dom", dir / "broken");
  EXPECT_FALSE(console_errors(broken.log).empty()) << "the console check saw nothing in:\n"
                                                   << broken.log;

  const ChromiumRun run = run_chromium(url("/dashboard?period=1h"), "--dump-dom", dir / "dom");
  ASSERT_EQ(run.exit_code, 0) << run.log;
  const auto errors = console_errors(run.log);
  EXPECT_TRUE(errors.empty()) << errors.front();
  // The DOM Chromium built holds the charts with the workload's series...
  EXPECT_GE(count(run.dom, "<polyline"), 9U) << run.dom.substr(0, 2000);
  EXPECT_NE(run.dom.find("data-series=\"gemini-2.0-flash\""), std::string::npos);
  EXPECT_NE(run.dom.find("data-series=\"gpt-4o-mini\""), std::string::npos);
  EXPECT_NE(run.dom.find("data-series=\"p99\""), std::string::npos);
  EXPECT_NE(run.dom.find("data-series=\"queue depth\""), std::string::npos);
  // ...and the refresh script ran: it re-fetched the body and said so.
  EXPECT_NE(run.dom.find("id=\"status\">updated "), std::string::npos)
      << "the live refresh did not run or failed";

  const fs::path png = dir / "dashboard.png";
  fs::remove(png);
  const ChromiumRun shot = run_chromium(url("/dashboard?period=1h"),
                                        "--screenshot='" + png.string() + "'", dir / "shot");
  ASSERT_EQ(shot.exit_code, 0) << shot.log;
  ASSERT_TRUE(fs::exists(png)) << shot.log;
  EXPECT_GT(fs::file_size(png), 10'000U);
  const std::string head = read_file(png).substr(0, 8);
  EXPECT_EQ(head, std::string("\x89PNG\r\n\x1a\n", 8));
}

}  // namespace
}  // namespace lumen::report
