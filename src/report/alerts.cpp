#include "lumen/report/alerts.hpp"
#include "median.hpp"
#include "profile_queries.hpp"
#include "time_format.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>

#include "lumen/core/internal/mutex.hpp"
#include "lumen/log/logger.hpp"
#include "lumen/metrics/meter.hpp"
#include "lumen/report/webhook.hpp"

namespace lumen::report {
namespace {

enum class Step { kNone, kFired, kResolved };

// Fires after `n` evaluations in a row over the fire line; resolves after `n` under the resolve
// line. Between the two lines nothing changes: that gap is the hysteresis.
struct Hysteresis {
  bool firing = false;
  int over = 0;
  int under = 0;
  std::uint64_t since = 0;

  Step step(bool over_fire, bool under_resolve, int n, std::uint64_t now) {
    n = std::max(1, n);
    if (!firing) {
      over = over_fire ? over + 1 : 0;
      if (over >= n) {
        firing = true;
        over = 0;
        under = 0;
        since = now;
        return Step::kFired;
      }
      return Step::kNone;
    }
    under = under_resolve ? under + 1 : 0;
    if (under >= n) {
      firing = false;
      under = 0;
      over = 0;
      since = now;
      return Step::kResolved;
    }
    return Step::kNone;
  }
  [[nodiscard]] bool quiet() const { return !firing && over == 0; }
};

struct Detector {
  std::string signal;
  double min_band = 0;
  double ewma = 0;
  std::size_t seen = 0;
  std::deque<double> recent;
  Hysteresis h;
  double last_upper = 0;

  void learn(double v, const AnomalyOptions& o) {
    ewma = seen == 0 ? v : o.alpha * v + (1 - o.alpha) * ewma;
    ++seen;
    recent.push_back(v);
    while (recent.size() > std::max<std::size_t>(1, o.history)) recent.pop_front();
  }
  [[nodiscard]] double band(const AnomalyOptions& o) const {
    std::vector<double> values(recent.begin(), recent.end());
    const double med = detail::median(values);
    for (double& x : values) x = std::abs(x - med);
    const double sigma = 1.4826 * detail::median(values);
    return std::max({o.k * sigma, o.min_relative_band * std::abs(ewma), min_band});
  }
};

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

double signal_value(const AlertSignals& s, std::string_view name) {
  if (name == "latency_p99") return s.latency_p99;
  if (name == "error_rate") return s.error_rate;
  if (name == "queue_depth") return s.queue_depth;
  if (name == "cost_per_hour") return s.cost_per_hour;
  return 0;
}

}  // namespace

std::vector<ThresholdRule> AlertOptions::default_thresholds() {
  return {
      {"latency_p99_high", "latency_p99", 5.0, 4.0, 2, "warning"},
      {"error_rate_high", "error_rate", 0.05, 0.04, 2, "critical"},
      {"queue_depth_high", "queue_depth", 500, 400, 2, "warning"},
      {"cost_per_hour_high", "cost_per_hour", 10.0, 8.0, 2, "warning"},
  };
}

std::string to_json(const AlertEvent& e) {
  nlohmann::json j = {{"alert", e.name},
                      {"kind", e.kind},
                      {"severity", e.severity},
                      {"state", e.state},
                      {"value", e.value},
                      {"threshold", e.threshold},
                      {"time", detail::utc_time(e.time_ns)},
                      {"message", e.message}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

struct AlertEngine::Impl {
  const TimeSeriesStore& store;
  AlertOptions opt;
  log::Logger* logger;
  WebhookNotifier* webhook;
  mutable lumen::internal::Mutex mu;
  std::vector<Hysteresis> thresholds LUMEN_GUARDED_BY(mu);
  std::vector<Detector> detectors LUMEN_GUARDED_BY(mu);
  Hysteresis burn LUMEN_GUARDED_BY(mu);
  std::vector<AlertSummary> firing LUMEN_GUARDED_BY(mu);  // by name
  std::deque<AlertEvent> history LUMEN_GUARDED_BY(mu);
  std::optional<metrics::Counter<std::int64_t>> transitions;
  metrics::ObservableRegistration active_reg;  // last: unregistered before the rest goes

  Impl(const TimeSeriesStore& s, AlertOptions o, log::Logger* l, WebhookNotifier* w)
      : store(s), opt(std::move(o)), logger(l), webhook(w) {}

  AlertSignals compute(std::uint64_t now) const {
    const auto window = static_cast<std::uint64_t>(opt.signal_window.count());
    const std::uint64_t t0 = now > window ? now - window : 0;
    const detail::ProfiledQueries q(store, opt.profile);
    AlertSignals s;
    s.latency_p99 = q.histogram(q.names().request_duration, {}, t0, now).quantile(0.99);
    s.requests = q.requests(t0, now);
    const double failed = q.failures(t0, now);
    s.error_rate = s.requests > 0 ? failed / s.requests : 0;
    s.queue_depth = q.gauge(q.names().queue_depth, {}, t0, now).latest;
    double cost = 0;
    const auto in = q.units_by_group("input", t0, now);
    const auto out = q.units_by_group("output", t0, now);
    for (const auto& [group, n] : in) cost += opt.profile.pricing.cost(group, n, 0);
    for (const auto& [group, n] : out) cost += opt.profile.pricing.cost(group, 0, n);
    if (in.empty() && out.empty()) {
      for (const auto& [group, n] : q.undirected_units_by_group(t0, now)) {
        cost += opt.profile.pricing.cost_undirected(group, n);
      }
    }
    const double hours = static_cast<double>(window) / 3.6e12;
    s.cost_per_hour = hours > 0 ? cost / hours : 0;
    return s;
  }

  void transition(Step step, AlertEvent e, std::vector<AlertEvent>& out) LUMEN_REQUIRES(mu) {
    if (step == Step::kNone) return;
    e.state = step == Step::kFired ? "firing" : "resolved";
    if (step == Step::kFired) {
      firing.push_back({e.name, e.severity, "firing", e.value, e.threshold, e.time_ns, e.message});
    } else {
      std::erase_if(firing, [&](const AlertSummary& a) { return a.name == e.name; });
    }
    if (logger != nullptr) {
      const std::string text = "alert " + e.name + " " + e.state + ": " + e.message;
      if (step == Step::kFired) {
        logger->warn(text, {{"alert", e.name},
                            {"state", e.state},
                            {"value", e.value},
                            {"threshold", e.threshold},
                            {"severity", e.severity}});
      } else {
        logger->info(text, {{"alert", e.name}, {"state", e.state}, {"value", e.value}});
      }
    }
    if (transitions) transitions->add(1, {{"alert", e.name}, {"state", e.state}});
    if (webhook != nullptr) webhook->post(to_json(e));
    history.push_back(e);
    while (history.size() > std::max<std::size_t>(1, opt.history_capacity)) history.pop_front();
    out.push_back(std::move(e));
  }
};

AlertEngine::AlertEngine(const TimeSeriesStore& store, AlertOptions options, metrics::Meter* meter,
                         log::Logger* logger, WebhookNotifier* webhook)
    : impl_(std::make_unique<Impl>(store, std::move(options), logger, webhook)) {
  Impl& s = *impl_;
  s.thresholds.resize(s.opt.thresholds.size());
  const AnomalyOptions& a = s.opt.anomaly;
  s.detectors = {{"latency_p99", a.min_band_latency},
                 {"error_rate", a.min_band_error_rate},
                 {"queue_depth", a.min_band_queue},
                 {"cost_per_hour", a.min_band_cost}};
  if (meter != nullptr) {
    s.transitions.emplace(meter->create_counter<std::int64_t>(
        "lumen.alerts",
        {.description = "Alert transitions by alert and state (firing, resolved)"}));
    s.active_reg =
        meter->create_observable_gauge("lumen.alerts.active",
                                       [impl = impl_.get()](metrics::ObserverResult& r) {
                                         lumen::internal::MutexLock lock(impl->mu);
                                         r.observe(static_cast<std::int64_t>(impl->firing.size()));
                                       },
                                       {.description = "Alerts firing now"});
  }
}

AlertEngine::~AlertEngine() = default;

AlertSignals AlertEngine::signals(std::uint64_t now_ns) const {
  return impl_->compute(now_ns);
}

std::vector<AlertEvent> AlertEngine::evaluate(std::uint64_t now_ns) {
  Impl& s = *impl_;
  const AlertSignals sig = s.compute(now_ns);  // the store has its own lock
  lumen::internal::MutexLock lock(s.mu);
  std::vector<AlertEvent> out;

  for (std::size_t i = 0; i < s.opt.thresholds.size(); ++i) {
    const ThresholdRule& rule = s.opt.thresholds[i];
    const double v = signal_value(sig, rule.signal);
    const Step step = s.thresholds[i].step(v > rule.fire_above, v < rule.resolve_below,
                                           rule.for_evaluations, now_ns);
    s.transition(step,
                 {rule.name, "threshold", rule.severity, "", v,
                  step == Step::kResolved ? rule.resolve_below : rule.fire_above, now_ns,
                  rule.signal + " is " + number(v) +
                      (step == Step::kResolved ? " (back below " + number(rule.resolve_below) + ")"
                                               : " (above " + number(rule.fire_above) + ")")},
                 out);
  }

  if (s.opt.anomaly.enabled) {
    const AnomalyOptions& a = s.opt.anomaly;
    for (Detector& d : s.detectors) {
      const double v = signal_value(sig, d.signal);
      if (d.seen < a.warmup) {
        d.learn(v, a);
        continue;
      }
      const double band = d.band(a);
      const double upper = d.ewma + band;
      const Step step = d.h.step(v > upper, v < d.ewma + band / 2, a.for_evaluations, now_ns);
      if (step == Step::kFired) d.last_upper = upper;
      s.transition(step,
                   {d.signal + "_anomaly", "anomaly", "warning", "", v,
                    step == Step::kFired ? upper : d.ewma + band / 2, now_ns,
                    d.signal + " is " + number(v) + " against a baseline of " + number(d.ewma) +
                        (step == Step::kFired ? " (band up to " + number(upper) + ")"
                                              : " (back inside the band)")},
                   out);
      if (d.h.quiet() && step == Step::kNone) d.learn(v, a);
    }
  }

  if (s.opt.burn_rate.enabled) {
    const BurnRateOptions& b = s.opt.burn_rate;
    const double budget = std::max(1e-9, 1 - b.objective);
    const auto burn_over = [&](std::chrono::nanoseconds w, double* requests) {
      const auto len = static_cast<std::uint64_t>(w.count());
      const std::uint64_t t0 = now_ns > len ? now_ns - len : 0;
      const detail::ProfiledQueries q(s.store, s.opt.profile);
      const double all = q.requests(t0, now_ns);
      const double failed = q.failures(t0, now_ns);
      if (requests != nullptr) *requests = all;
      return all > 0 ? failed / all / budget : 0.0;
    };
    double short_requests = 0;
    const double long_burn = burn_over(b.long_window, nullptr);
    const double short_burn = burn_over(b.short_window, &short_requests);
    const bool over =
        long_burn > b.factor && short_burn > b.factor && short_requests >= b.min_requests;
    const Step step = s.burn.step(over, short_burn < b.factor, 1, now_ns);
    s.transition(
        step,
        {"error_budget_burn", "burn_rate", "critical", "", short_burn, b.factor, now_ns,
         "error budget burning " + number(short_burn) + "x (5 min) and " + number(long_burn) +
             "x (1 h) the sustainable rate for a " + number(b.objective * 100) + " % objective"},
        out);
  }
  return out;
}

std::vector<AlertSummary> AlertEngine::active() const {
  lumen::internal::MutexLock lock(impl_->mu);
  return impl_->firing;
}

std::vector<AlertEvent> AlertEngine::history() const {
  lumen::internal::MutexLock lock(impl_->mu);
  return {impl_->history.begin(), impl_->history.end()};
}

}  // namespace lumen::report
