// AlertEngine: threshold rules, anomaly detection and an error-budget burn-rate rule over the
// TimeSeriesStore, with hysteresis so that an alert fires once and resolves once.
//
// Signals, evaluated at each call of evaluate(now) over the last `signal_window` (5 min), on the
// instruments of the options' ReportProfile:
//   latency_p99    p99 of the request duration (s)
//   error_rate     failed / all requests
//   queue_depth    the latest queue depth
//   cost_per_hour  spend extrapolated to one hour (USD)
// Rules:
//   threshold   fire when the signal is above `fire_above` for `for_evaluations` evaluations in a
//               row; resolve when it is below `resolve_below` for as many.
//   anomaly     per signal, an EWMA baseline and a band of k x 1.4826 x MAD (median absolute
//               deviation of the recent values, floored); fire above the band, resolve below half
//               of it. The baseline learns only while the alert is quiet, so an incident does not
//               become the new normal. Quiet until `warmup` values were seen.
//   burn rate   the error budget of an availability objective (99 %: 1 %) is burning `factor` times
//               too fast over both the long (1 h) and the short (5 min) window; resolves when the
//               short window's burn rate falls below it (the Google SRE workbook's multi-window
//               rule).
// Each transition goes to the log (when a logger is given), to the metrics lumen_alerts_total
// {alert,state} and lumen_alerts_active, to the webhook (when given), and into active()/history()
// for the report.
//
//   lumen::report::AlertEngine alerts(store, {}, &meter, &logger, &webhook);
//   for (const auto& e : alerts.evaluate(clock.wall_ns())) std::cout << e.name << ' ' << e.state;
//
// Thread safety: every method may be called from any thread (one mutex).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lumen/report/pricing.hpp"
#include "lumen/report/report.hpp"
#include "lumen/report/report_profile.hpp"
#include "lumen/report/time_series_store.hpp"

namespace lumen::log {
class Logger;
}
namespace lumen::metrics {
class Meter;
}

namespace lumen::report {

class WebhookNotifier;

struct ThresholdRule {
  std::string name;    // e.g. "latency_p99_high"
  std::string signal;  // latency_p99, error_rate, queue_depth, cost_per_hour
  double fire_above = 0;
  double resolve_below = 0;
  int for_evaluations = 2;
  std::string severity = "warning";
};

struct AnomalyOptions {
  bool enabled = true;
  double alpha = 0.1;        // EWMA weight of the newest value
  double k = 6.0;            // band width in robust standard deviations
  std::size_t history = 60;  // values kept for the MAD
  std::size_t warmup = 12;
  int for_evaluations = 2;
  // The band is at least this fraction of the baseline, and at least this absolute amount per
  // signal, so that a perfectly flat history does not turn noise into alerts.
  double min_relative_band = 0.5;
  double min_band_latency = 0.25;  // s
  double min_band_error_rate = 0.02;
  double min_band_queue = 10;
  double min_band_cost = 0.5;  // USD per hour
};

struct BurnRateOptions {
  bool enabled = true;
  double objective = 0.99;  // fraction of requests that must succeed
  double factor = 14.4;     // 2 % of a 30-day budget in one hour
  std::chrono::nanoseconds long_window = std::chrono::hours(1);
  std::chrono::nanoseconds short_window = std::chrono::minutes(5);
  double min_requests = 10;  // in the short window, before the rule may fire
};

struct AlertOptions {
  std::vector<ThresholdRule> thresholds = default_thresholds();
  AnomalyOptions anomaly;
  BurnRateOptions burn_rate;
  std::chrono::nanoseconds signal_window = std::chrono::minutes(5);
  ReportProfile profile;               // which instruments the signals read, and their prices
  std::size_t history_capacity = 100;  // transitions kept for the report and the dashboard

  // latency_p99 > 5 s, error_rate > 5 %, queue_depth > 500, cost_per_hour > 10 USD.
  static std::vector<ThresholdRule> default_thresholds();
};

struct AlertEvent {
  std::string name;
  std::string kind;      // "threshold", "anomaly", "burn_rate"
  std::string severity;  // "info", "warning", "critical"
  std::string state;     // "firing" or "resolved"
  double value = 0;
  double threshold = 0;
  std::uint64_t time_ns = 0;
  std::string message;
};

// The JSON body the webhook receives for one event.
[[nodiscard]] std::string to_json(const AlertEvent& event);

struct AlertSignals {
  double latency_p99 = 0;
  double error_rate = 0;
  double queue_depth = 0;
  double cost_per_hour = 0;
  double requests = 0;  // requests in the window
};

class AlertEngine {
 public:
  AlertEngine(const TimeSeriesStore& store, AlertOptions options = {},
              metrics::Meter* meter = nullptr, log::Logger* logger = nullptr,
              WebhookNotifier* webhook = nullptr);
  ~AlertEngine();
  AlertEngine(const AlertEngine&) = delete;
  AlertEngine& operator=(const AlertEngine&) = delete;

  // Evaluates every rule at `now_ns`; returns the transitions (fired or resolved) it caused.
  std::vector<AlertEvent> evaluate(std::uint64_t now_ns);

  [[nodiscard]] AlertSignals signals(std::uint64_t now_ns) const;
  // Alerts firing now, as the report lists them.
  [[nodiscard]] std::vector<AlertSummary> active() const;
  // The most recent transitions, oldest first (bounded by history_capacity).
  [[nodiscard]] std::vector<AlertEvent> history() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lumen::report
