// A real Prometheus server (Debian package `prometheus`) scrapes our admin endpoint; its query API
// must then compute the rate and the quantile that the workload we drove implies. Prometheus
// missing is a failure, not a skip.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "http_client.hpp"
#include "lumen/admin/admin_server.hpp"
#include "lumen/beautifyai/metrics.hpp"
#include "lumen/metrics/meter.hpp"

extern char** environ;

namespace lumen::admin {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr const char* kPrometheus = "/usr/bin/prometheus";

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

// A Prometheus server on 127.0.0.1 scraping one target every second, in a scratch directory.
class PrometheusServer {
 public:
  explicit PrometheusServer(std::uint16_t target_port)
      : dir_(fs::temp_directory_path() / ("lumen-prometheus-" + std::to_string(::getpid()))),
        port_(lumen::testing::free_loopback_port()) {
    fs::create_directories(dir_ / "data");
    std::ofstream(dir_ / "prometheus.yml")
        << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        << "scrape_configs:\n  - job_name: lumen\n    static_configs:\n"
        << "      - targets: ['127.0.0.1:" << target_port << "']\n";
    const std::string config = "--config.file=" + (dir_ / "prometheus.yml").string();
    const std::string storage = "--storage.tsdb.path=" + (dir_ / "data").string();
    const std::string listen = "--web.listen-address=127.0.0.1:" + std::to_string(port_);
    const std::string log = "--log.level=error";
    std::vector<char*> argv{const_cast<char*>(kPrometheus),     const_cast<char*>(config.c_str()),
                            const_cast<char*>(storage.c_str()), const_cast<char*>(listen.c_str()),
                            const_cast<char*>(log.c_str()),     nullptr};
    if (posix_spawn(&pid_, kPrometheus, nullptr, nullptr, argv.data(), environ) != 0) pid_ = -1;
  }
  ~PrometheusServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  [[nodiscard]] bool running() const { return pid_ > 0; }

  // The value of an instant query with one result, or nullopt while Prometheus has none yet.
  std::optional<double> query(const std::string& promql) const {
    try {
      const auto reply =
          lumen::testing::http_get(port_, "/api/v1/query?query=" + url_encode(promql));
      if (reply.status != 200) return std::nullopt;
      const auto json = nlohmann::json::parse(reply.body);
      const auto& result = json.at("data").at("result");
      if (result.size() != 1) return std::nullopt;
      const double value = std::stod(result[0].at("value")[1].get<std::string>());
      return std::isfinite(value) ? std::optional<double>(value) : std::nullopt;
    } catch (const std::exception&) {
      return std::nullopt;  // not up yet
    }
  }

 private:
  fs::path dir_;
  std::uint16_t port_;
  pid_t pid_ = -1;
};

TEST(PrometheusScrape, RateAndHistogramQuantileMatchTheWorkload) {
  ASSERT_EQ(::access(kPrometheus, X_OK), 0)
      << kPrometheus << " missing: apt-get install prometheus";
  metrics::MeterProvider provider;
  beautifyai::Metrics ai(provider.meter("beautifyai"));
  AdminServer server({.port = 0});
  server.route("/metrics", metrics_handler(provider));
  server.start();

  // 10 requests per 100 ms of wall time, whatever the scheduler does: 9 at 20 ms, 1 at 3 s.
  std::atomic<bool> stop{false};
  std::thread workload([&] {
    const auto start = std::chrono::steady_clock::now();
    long groups_done = 0;
    while (!stop.load()) {
      const long due = (std::chrono::steady_clock::now() - start) / 100ms;
      for (; groups_done < due; ++groups_done) {
        for (int i = 0; i < 9; ++i) ai.record_ai_request("gemini-2.0-flash", true, 20.0);
        ai.record_ai_request("gemini-2.0-flash", true, 3000.0);
      }
      std::this_thread::sleep_for(10ms);
    }
  });

  PrometheusServer prometheus(server.port());
  ASSERT_TRUE(prometheus.running());
  const std::string rate = "sum(rate(ai_requests_total[5s]))";
  const std::string median =
      "histogram_quantile(0.5, sum by (le) (rate(ai_request_duration_seconds_bucket[5s])))";
  // Wait until a 5 s window is full of samples (one per second).
  std::optional<double> up_for;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    up_for = prometheus.query("count_over_time(up{job=\"lumen\"}[10s])");
    if (up_for && *up_for >= 7) break;
    std::this_thread::sleep_for(250ms);
  }
  ASSERT_TRUE(up_for && *up_for >= 7) << "Prometheus never scraped the admin endpoint";
  const auto measured_rate = prometheus.query(rate);
  const auto measured_median = prometheus.query(median);
  stop = true;
  workload.join();

  ASSERT_TRUE(measured_rate.has_value());
  EXPECT_NEAR(*measured_rate, 100.0, 15.0);
  // 90 % of the observations sit in the first bucket, (0, first bound], so Prometheus interpolates
  // the median at first bound * (0.5 / 0.9).
  ASSERT_TRUE(measured_median.has_value());
  const double first_bound = beautifyai::Metrics::latency_boundaries().front();
  ASSERT_GT(first_bound, 0.02);
  EXPECT_NEAR(*measured_median, first_bound * (0.5 / 0.9), 0.002);
  EXPECT_GE(server.stats().requests, 7u);
}

}  // namespace
}  // namespace lumen::admin
