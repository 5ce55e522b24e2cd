// The report from a real Prometheus (started by the test on 127.0.0.1, scraping an AdminServer
// every second) against the report from the embedded store, for the same workload. Prometheus's
// increase() extrapolates a little past the first scrape, so totals agree within a tolerance, while
// ratios (success rate, hit rate), latency quantiles and means, and gauges agree exactly: every
// series is scaled by the same factor. prometheus missing is a failure, not a skip.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "http_client.hpp"
#include "lumen/admin/admin_server.hpp"
#include "lumen/beautifyai/metrics.hpp"
#include "lumen/beautifyai/report_profile.hpp"
#include "lumen/core/clock.hpp"
#include "lumen/metrics/meter.hpp"
#include "lumen/report/prometheus_source.hpp"
#include "lumen/report/report.hpp"

namespace lumen::report {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class PrometheusProcess {
 public:
  PrometheusProcess(std::uint16_t target_port)
      : dir_(fs::temp_directory_path() / ("lumen_report_prom_" + std::to_string(::getpid()))) {
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "data");
    port_ = testing::free_loopback_port();
    std::ofstream(dir_ / "prometheus.yml")
        << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        << "scrape_configs:\n  - job_name: lumen\n    static_configs:\n      - targets: "
           "['127.0.0.1:"
        << target_port << "']\n";
    const std::string cmd = "prometheus --config.file='" + (dir_ / "prometheus.yml").string() +
                            "' --storage.tsdb.path='" + (dir_ / "data").string() +
                            "' --web.listen-address=127.0.0.1:" + std::to_string(port_) + " >'" +
                            (dir_ / "log.txt").string() + "' 2>&1 & echo $! >'" +
                            (dir_ / "pid").string() + "'";
    if (std::system(cmd.c_str()) == 0) {
      std::ifstream(dir_ / "pid") >> pid_;
    }
  }
  ~PrometheusProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      for (int i = 0; i < 200 && ::kill(pid_, 0) == 0; ++i) std::this_thread::sleep_for(10ms);
      if (::kill(pid_, 0) == 0) ::kill(pid_, SIGKILL);
    }
    fs::remove_all(dir_);
  }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] std::string log() const {
    std::ifstream in(dir_ / "log.txt");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  // The first value of an instant query now, or nullopt.
  [[nodiscard]] std::optional<double> value(const std::string& promql) const {
    try {
      std::string target = "/api/v1/query?query=";
      for (const char ch : promql) {
        const auto c = static_cast<unsigned char>(ch);
        if (std::isalnum(c) != 0 || c == '_' || c == '.') {
          target += static_cast<char>(c);
        } else {
          char buf[4];
          std::snprintf(buf, sizeof buf, "%%%02X", c);
          target += buf;
        }
      }
      const auto reply = testing::http_get(port_, target);
      const auto j = nlohmann::json::parse(reply.body);
      const auto& result = j["data"]["result"];
      if (result.empty()) return std::nullopt;
      return std::stod(result[0]["value"][1].get<std::string>());
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  // Polls `promql` until `ok(value)` or the deadline.
  template <typename F>
  bool wait_for(const std::string& promql, F ok, std::chrono::seconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (const auto v = value(promql); v && ok(*v)) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

 private:
  fs::path dir_;
  std::uint16_t port_ = 0;
  int pid_ = -1;
};

// The same mix every round, so that every histogram bucket and counter series that grows later
// already has a value at the first scrape.
// The largest latency, in seconds, that workload() records for each model.
const std::map<std::string, double> kLargestLatency = {{"gemini-2.0-flash", 0.31},
                                                       {"gpt-4o-mini", 1.8}};

void workload(beautifyai::Metrics& ai, int rounds) {
  for (int r = 0; r < rounds; ++r) {
    for (int k = 0; k < 20; ++k) {
      ai.record_ai_request("gemini-2.0-flash", k != 0, 120.0 + 10.0 * k, 300);
      ai.record_ai_tokens("gemini-2.0-flash", 200, 100);
    }
    for (int k = 0; k < 10; ++k) {
      ai.record_ai_request("gpt-4o-mini", k >= 3, 900.0 + 100.0 * k, 600);
      ai.record_ai_tokens("gpt-4o-mini", 300, 200);
    }
    for (int k = 0; k < 8; ++k) ai.record_cache_lookup("document", k % 4 != 0);
  }
  ai.set_queue_depth(12);
  ai.set_active_connections(5);
}

TEST(ReportPrometheus, GivesTheSameReportAsTheEmbeddedStore) {
  ASSERT_EQ(std::system("command -v prometheus >/dev/null 2>&1"), 0)
      << "prometheus is not on PATH: run scripts/bootstrap.sh (Debian package 'prometheus')";
  metrics::MeterProvider provider;
  beautifyai::Metrics ai(provider.meter("beautifyai"));
  admin::AdminServer admin({.port = 0});
  admin.route("/metrics", admin::metrics_handler(provider));
  admin.start();

  // Most of the counts exist before the first scrape, so that Prometheus extrapolates by half a
  // scrape interval (not down to zero) at the start of the window.
  workload(ai, 4);
  TimeSeriesStore store;
  store.record(provider.collect(), wall_clock_ns());  // the embedded baseline

  PrometheusProcess prom(admin.port());
  ASSERT_TRUE(prom.wait_for(
      "count_over_time(up{job=\"lumen\"}[1m])", [](double v) { return v >= 6; }, 30s))
      << prom.log();

  workload(ai, 1);
  store.record(provider.collect(), wall_clock_ns());
  const double expected_total = 5 * 30;
  ASSERT_TRUE(prom.wait_for(
      "sum(ai_requests_total)", [&](double v) { return v == expected_total; }, 15s))
      << prom.log();
  const auto scraped_at = prom.value("max(timestamp(ai_requests_total))");
  ASSERT_TRUE(scraped_at.has_value());
  const auto t_b = static_cast<std::uint64_t>(*scraped_at * 1000.0) * 1'000'000ULL;

  ReportOptions opt;
  opt.profile = beautifyai::report_profile();
  opt.cores = 2;
  PrometheusSource source(
      {.url = prom.url(), .gauge_step = 1s, .names = opt.profile.prometheus_names});
  const Report from_prom = ReportGenerator(source, opt).generate(Period::k5m, t_b);
  const Report embedded = ReportGenerator(store, opt).generate(Period::k5m, wall_clock_ns());
  EXPECT_EQ(source.errors(), 0U);

  EXPECT_DOUBLE_EQ(embedded.ai.total_requests, 30);
  // Extrapolation before the first scrape: half a scrape interval over >= 6 s of samples.
  EXPECT_NEAR(from_prom.ai.total_requests, embedded.ai.total_requests,
              0.2 * embedded.ai.total_requests)
      << "samples per series: "
      << prom.value("max(count_over_time(ai_requests_total[5m]))").value_or(-1)
      << ", first: " << prom.value("min(min_over_time(ai_requests_total[5m]))").value_or(-1);
  EXPECT_GE(from_prom.ai.total_requests, embedded.ai.total_requests - 1e-6);
  EXPECT_NEAR(from_prom.ai.success_rate, embedded.ai.success_rate, 1e-9);
  EXPECT_NEAR(from_prom.cache.hit_rate, embedded.cache.hit_rate, 1e-9);
  EXPECT_NEAR(from_prom.ai.average_latency, embedded.ai.average_latency, 1e-9);
  EXPECT_NEAR(from_prom.ai.p50_latency, embedded.ai.p50_latency, 1e-9);
  // Prometheus has no largest value, so its p99 is the bucket interpolation alone; the embedded
  // store bounds the same interpolation by the largest latency of the window (the workload's).
  EXPECT_NEAR(std::min(from_prom.ai.p99_latency, kLargestLatency.at("gpt-4o-mini")),
              embedded.ai.p99_latency, 1e-9);
  ASSERT_EQ(from_prom.ai.models.size(), embedded.ai.models.size());
  for (std::size_t i = 0; i < embedded.ai.models.size(); ++i) {
    const ModelFigures& a = from_prom.ai.models[i];
    const ModelFigures& b = embedded.ai.models[i];
    EXPECT_EQ(a.model, b.model);
    EXPECT_NEAR(a.failure_rate, b.failure_rate, 1e-9) << b.model;
    EXPECT_NEAR(std::min(a.p99_latency, kLargestLatency.at(b.model)), b.p99_latency, 1e-9)
        << b.model;
    EXPECT_NEAR(a.cost_per_request, b.cost_per_request, 1e-12) << b.model;
    EXPECT_NEAR(a.cost, b.cost, 0.2 * b.cost) << b.model;
  }
  EXPECT_EQ(from_prom.health.queue_depth, 12);
  EXPECT_EQ(from_prom.health.active_connections, 5);
  EXPECT_NEAR(from_prom.health.error_rate, embedded.health.error_rate, 1e-9);
  std::vector<std::string> a_ids;
  std::vector<std::string> b_ids;
  for (const auto& r : from_prom.recommendations) a_ids.push_back(r.id);
  for (const auto& r : embedded.recommendations) b_ids.push_back(r.id);
  EXPECT_EQ(a_ids, b_ids);
  EXPECT_FALSE(b_ids.empty());  // 13 % of the requests fail: the workload is not a silent one
}

TEST(ReportPrometheus, AnUnreachableServerGivesAnEmptyReportAndCountsErrors) {
  PrometheusSource source(
      {.url = "http://127.0.0.1:" + std::to_string(testing::free_loopback_port()),
       .timeout = 500ms});
  const Report r = ReportGenerator(source, {.profile = beautifyai::report_profile()})
                       .generate(Period::k1h, wall_clock_ns());
  EXPECT_EQ(r.ai.total_requests, 0);
  EXPECT_GT(source.errors(), 0U);
}

TEST(ReportPrometheus, InstrumentNamesMapToTheExposedNames) {
  const PrometheusSource source({.names = beautifyai::report_profile().prometheus_names});
  EXPECT_EQ(source.prometheus_metric("ai.requests"), "ai_requests_total");
  EXPECT_EQ(source.prometheus_metric("ai.request.duration"), "ai_request_duration_seconds");
  EXPECT_EQ(source.prometheus_metric("cache.saved"), "cache_saved_bytes_total");
  EXPECT_EQ(source.prometheus_metric("queue.depth"), "queue_depth");
  EXPECT_EQ(source.prometheus_metric("lumen.pool.wait_time"), "lumen_pool_wait_time_seconds");
  EXPECT_EQ(source.prometheus_metric("some.new-thing"), "some_new_thing");
  const PrometheusSource generic({.names = ReportProfile{}.prometheus_names});
  EXPECT_EQ(generic.prometheus_metric("http.server.request.duration"),
            "http_server_request_duration_seconds");
  EXPECT_EQ(generic.prometheus_metric("ai.requests"), "ai_requests");
}

}  // namespace
}  // namespace lumen::report
