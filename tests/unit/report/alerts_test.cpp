#include "lumen/report/alerts.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "lumen/beautifyai/metrics.hpp"
#include "lumen/beautifyai/report_profile.hpp"
#include "lumen/log/logger.hpp"
#include "lumen/log/sink.hpp"
#include "lumen/metrics/meter.hpp"
#include "lumen/report/webhook.hpp"
#include "report_time.hpp"

namespace lumen::report {
namespace {

// The signals read the reference service's instruments, which the fixture records.
AlertOptions beautifyai_options() {
  return {.profile = beautifyai::report_profile()};
}

class AlertsTest : public ::testing::Test {
 protected:
  AlertsTest() : ai_(provider_.meter("beautifyai")) { store_.record(provider_.collect(), now_); }

  // `ticks` samples 10 s apart; before each, `traffic` records that tick's workload. Every
  // sample is evaluated, and the transitions are collected.
  void run(AlertEngine& engine, int ticks, const std::function<void()>& traffic) {
    for (int i = 0; i < ticks; ++i) {
      traffic();
      now_ += 10 * kSec;
      store_.record(provider_.collect(), now_);
      for (auto& e : engine.evaluate(now_)) events_.push_back(std::move(e));
    }
  }
  std::function<void()> load(int n, int failed, double ms, std::int64_t queue = 5) {
    return [this, n, failed, ms, queue] {
      for (int i = 0; i < n; ++i) ai_.record_ai_request("gemini-2.0-flash", i >= failed, ms);
      ai_.set_queue_depth(queue);
    };
  }
  int count(std::string_view name, std::string_view state) const {
    int n = 0;
    for (const auto& e : events_) n += e.name == name && e.state == state ? 1 : 0;
    return n;
  }
  std::string all_events() const {
    std::string s;
    for (const auto& e : events_) s += e.name + ":" + e.state + " ";
    return s;
  }

  metrics::MeterProvider provider_;
  beautifyai::Metrics ai_;
  TimeSeriesStore store_;
  std::uint64_t now_ = 1'700'000'000'000'000'000ULL;
  std::vector<AlertEvent> events_;
};

TEST_F(AlertsTest, HealthyNoisyTrafficStaysSilent) {
  AlertEngine engine(store_, beautifyai_options());
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> n(80, 120);
  std::uniform_real_distribution<double> ms(80, 400);
  std::uniform_int_distribution<int> queue(0, 20);
  run(engine, 120, [&] {
    const int k = n(rng);
    for (int i = 0; i < k; ++i)
      ai_.record_ai_request("gemini-2.0-flash", i != 0 || k % 3 != 0, ms(rng), 300);
    ai_.set_queue_depth(queue(rng));
  });
  EXPECT_TRUE(events_.empty()) << all_events();
  EXPECT_TRUE(engine.active().empty());
}

TEST_F(AlertsTest, ErrorRateThresholdFiresOnceAndResolvesOnce) {
  AlertOptions opt = beautifyai_options();
  opt.anomaly.enabled = false;
  opt.burn_rate.enabled = false;
  AlertEngine engine(store_, opt, &provider_.meter("lumen"));
  run(engine, 10, load(100, 0, 200));
  run(engine, 20, load(100, 20, 200));
  EXPECT_EQ(count("error_rate_high", "firing"), 1) << all_events();
  ASSERT_EQ(engine.active().size(), 1U);
  EXPECT_EQ(engine.active()[0].name, "error_rate_high");
  run(engine, 40, load(100, 0, 200));
  EXPECT_EQ(count("error_rate_high", "firing"), 1) << all_events();
  EXPECT_EQ(count("error_rate_high", "resolved"), 1) << all_events();
  EXPECT_TRUE(engine.active().empty());
  // The transitions are counted in lumen_alerts_total{alert,state}.
  double fired = 0;
  for (const auto& m : provider_.collect().metrics) {
    if (m.name != "lumen.alerts") continue;
    for (const auto& p : m.number_points) fired += p.value;
  }
  EXPECT_EQ(fired, 2.0);
}

TEST_F(AlertsTest, HysteresisKeepsAnAlertFiringBetweenTheTwoLines) {
  AlertOptions opt = beautifyai_options();
  opt.anomaly.enabled = false;
  opt.burn_rate.enabled = false;
  opt.thresholds = {{"queue", "queue_depth", 100, 50, 1, "warning"}};
  AlertEngine engine(store_, opt);
  run(engine, 1, load(0, 0, 0, 120));
  run(engine, 10, load(0, 0, 0, 80));  // between the lines: still firing
  run(engine, 1, load(0, 0, 0, 105));  // above again: no second firing
  run(engine, 1, load(0, 0, 0, 40));   // below the resolve line
  EXPECT_EQ(count("queue", "firing"), 1) << all_events();
  EXPECT_EQ(count("queue", "resolved"), 1) << all_events();
  EXPECT_EQ(events_.back().state, "resolved");
}

TEST_F(AlertsTest, LatencyAnomalyBelowTheThresholdFiresAndResolves) {
  AlertOptions opt = beautifyai_options();
  opt.burn_rate.enabled = false;
  AlertEngine engine(store_, opt);
  run(engine, 40, load(100, 0, 150));
  EXPECT_TRUE(events_.empty()) << all_events();
  run(engine, 10, load(100, 0, 2000));  // 2 s: under the 5 s threshold, far above the baseline
  EXPECT_EQ(count("latency_p99_anomaly", "firing"), 1) << all_events();
  EXPECT_EQ(count("latency_p99_high", "firing"), 0) << all_events();
  run(engine, 60, load(100, 0, 150));
  EXPECT_EQ(count("latency_p99_anomaly", "firing"), 1) << all_events();
  EXPECT_EQ(count("latency_p99_anomaly", "resolved"), 1) << all_events();
}

TEST_F(AlertsTest, QueueDepthAndCostAnomaliesFire) {
  AlertOptions opt = beautifyai_options();
  opt.burn_rate.enabled = false;
  opt.thresholds.clear();
  AlertEngine engine(store_, opt);
  auto tokens = [this](std::int64_t per_tick) {
    return [this, per_tick] {
      ai_.record_ai_tokens("gemini-1.5-pro", per_tick, per_tick);
      ai_.set_queue_depth(8);
    };
  };
  run(engine, 40, tokens(1000));
  EXPECT_TRUE(events_.empty()) << all_events();
  run(engine, 5, [&] {
    tokens(1'000'000)();
    ai_.set_queue_depth(300);
  });
  EXPECT_EQ(count("queue_depth_anomaly", "firing"), 1) << all_events();
  EXPECT_EQ(count("cost_per_hour_anomaly", "firing"), 1) << all_events();
}

TEST_F(AlertsTest, BurnRateNeedsBothWindows) {
  AlertOptions opt = beautifyai_options();
  opt.anomaly.enabled = false;
  opt.thresholds.clear();
  opt.burn_rate.long_window = std::chrono::minutes(30);
  AlertEngine engine(store_, opt);
  // A healthy half hour, then a one-minute outage: the 5 min window burns 20x, the 30 min one
  // only 3.3x.
  run(engine, 180, load(100, 0, 200));
  run(engine, 6, load(100, 100, 200));
  EXPECT_EQ(count("error_budget_burn", "firing"), 0) << all_events();
  // Sustained 50 % errors: both windows burn.
  run(engine, 60, load(100, 50, 200));
  EXPECT_EQ(count("error_budget_burn", "firing"), 1) << all_events();
  run(engine, 40, load(100, 0, 200));
  EXPECT_EQ(count("error_budget_burn", "resolved"), 1) << all_events();
}

TEST_F(AlertsTest, TransitionsGoToTheWebhookAsJson) {
  std::vector<std::string> bodies;
  std::mutex mu;
  WebhookNotifier hook({.url = "http://127.0.0.1:1/hook",
                        .transport = [&](const std::string&, const std::string& body, auto) {
                          std::lock_guard lock(mu);
                          bodies.push_back(body);
                          return 200;
                        }});
  AlertOptions opt = beautifyai_options();
  opt.anomaly.enabled = false;
  opt.burn_rate.enabled = false;
  AlertEngine engine(store_, opt, nullptr, nullptr, &hook);
  run(engine, 3, load(0, 0, 0, 900));
  ASSERT_TRUE(hook.flush(std::chrono::seconds(5)));
  std::lock_guard lock(mu);
  ASSERT_EQ(bodies.size(), 1U);
  EXPECT_NE(bodies[0].find(R"("alert":"queue_depth_high")"), std::string::npos) << bodies[0];
  EXPECT_NE(bodies[0].find(R"("state":"firing")"), std::string::npos) << bodies[0];
}

class LinesSink : public log::Sink {
 public:
  bool write(const log::FormattedRecord& r) override {
    lines.emplace_back(r.json);
    return true;
  }
  std::vector<std::string> lines;  // read after the synchronous logger returns
};

TEST_F(AlertsTest, TransitionsAreLoggedOnceEach) {
  auto sink = std::make_shared<LinesSink>();
  log::Logger logger({.asynchronous = false}, {sink});
  AlertOptions opt = beautifyai_options();
  opt.anomaly.enabled = false;
  opt.burn_rate.enabled = false;
  AlertEngine engine(store_, opt, nullptr, &logger);
  run(engine, 5, load(0, 0, 0, 900));
  run(engine, 5, load(0, 0, 0, 0));
  ASSERT_EQ(sink->lines.size(), 2U);
  EXPECT_NE(sink->lines[0].find("\"level\":\"warn"), std::string::npos) << sink->lines[0];
  EXPECT_NE(sink->lines[0].find("queue_depth_high firing"), std::string::npos) << sink->lines[0];
  EXPECT_NE(sink->lines[1].find("queue_depth_high resolved"), std::string::npos) << sink->lines[1];
}

}  // namespace
}  // namespace lumen::report
