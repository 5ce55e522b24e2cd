// The performance report (the original PerformanceDashboard.generateReport): request performance
// by group (the "ai" section: per model, or per route), cache performance, system health, capacity,
// Apdex per tier, cost figures and recommendations, computed over a window of the embedded
// TimeSeriesStore. Which instruments hold these figures, and their prices, come from the options'
// ReportProfile (report_profile.hpp); the default reads the OpenTelemetry HTTP server metrics.
// docs/REPORT.md documents every field and docs/report.schema.json is its JSON Schema.
//
//   lumen::report::ReportGenerator gen(store, {.profile = my_profile});
//   lumen::report::Report r = gen.generate(lumen::report::Period::k1h, clock.wall_ns());
//   std::string json = lumen::report::to_json(r);
//
// Thread safety: generate() may be called from any thread (the store is thread-safe).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lumen/report/pricing.hpp"
#include "lumen/report/report_profile.hpp"
#include "lumen/report/time_series_store.hpp"

namespace lumen::report {

enum class Period { k5m, k1h, k24h };
// "5m", "1h" or "24h"; nullopt otherwise.
[[nodiscard]] std::optional<Period> parse_period(std::string_view text) noexcept;
[[nodiscard]] std::string_view period_name(Period p) noexcept;
[[nodiscard]] std::uint64_t period_ns(Period p) noexcept;

struct ReportOptions {
  ReportProfile profile;  // the service's instrument names and prices
  // Apdex target latency T per user tier (seconds); tiers not listed use apdex_default_target.
  std::map<std::string, double> apdex_targets;
  double apdex_default_target = 0.5;
  // Recommendation thresholds (the original three first).
  double min_cache_hit_rate = 0.5;
  double max_error_rate = 0.05;
  double max_p99_latency = 5.0;           // seconds
  double max_pool_wait_p99 = 0.1;         // seconds
  double queue_growth_per_second = 0.05;  // jobs/s of sustained growth that is worth a warning
  double model_outlier_factor = 3.0;      // failure rate or cost per request vs the others' median
  std::size_t model_outlier_min_requests = 20;
  std::size_t queue_capacity = 1000;  // for the time to saturation
  unsigned cores = 0;                 // 0: std::thread::hardware_concurrency()
};

struct ModelFigures {
  std::string model;
  double requests = 0;
  double failures = 0;
  double failure_rate = 0;
  double average_latency = 0;  // seconds
  double p99_latency = 0;
  double input_tokens = 0;
  double output_tokens = 0;
  double other_tokens = 0;  // tokens recorded without a direction
  double cost = 0;          // USD
  double cost_per_request = 0;
};

struct ApdexFigures {
  std::string tier;
  double target = 0;
  double satisfied = 0;
  double tolerating = 0;
  double total = 0;
  double score = 1;  // 1 with no requests
};

struct Recommendation {
  std::string id;        // stable: "cache_hit_rate_low", ...
  std::string severity;  // "info", "warning", "critical"
  std::string message;
  double value = 0;
  double threshold = 0;
};

// An alert as the report shows it (AlertEngine fills these).
struct AlertSummary {
  std::string name;
  std::string severity;
  std::string state;  // "firing" or "resolved"
  double value = 0;
  double threshold = 0;
  std::uint64_t since_ns = 0;
  std::string message;
};

struct Report {
  Period period = Period::k1h;
  std::uint64_t generated_at_ns = 0;
  std::uint64_t window_start_ns = 0;
  double covered_seconds = 0;  // how much of the window the store has samples for

  struct Ai {
    double total_requests = 0;
    double success_rate = 1;
    double average_latency = 0;
    double p50_latency = 0;
    double p90_latency = 0;
    double p99_latency = 0;
    double request_rate = 0;  // per second
    double total_cost = 0;
    std::map<std::string, double> cost_by_model;
    std::vector<ModelFigures> models;
  } ai;

  struct Cache {
    double lookups = 0;
    double hits = 0;
    double hit_rate = 0;
    std::map<std::string, double> hits_by_type;
    std::map<std::string, double> hit_rate_by_type;
    double memory_saved = 0;  // bytes
    double calls_avoided_by_cache = 0;
    double calls_avoided_by_coalescing = 0;
    double cost_savings = 0;  // USD
  } cache;

  struct Health {
    double active_connections = 0;
    double queue_depth = 0;
    double queue_depth_max = 0;
    double memory_usage = 0;  // bytes
    double cpu_usage = 0;     // fraction of the machine's cores
    double error_rate = 0;
    std::map<std::string, double> errors_by_type;
  } health;

  struct Capacity {
    double request_rate = 0;
    double cpu_cores_used = 0;
    unsigned cores = 1;
    double throughput_per_core = 0;  // requests per second per busy core
    double utilization = 0;
    double max_throughput = 0;  // throughput_per_core x cores
    double queue_growth_per_second = 0;
    std::optional<double> seconds_to_queue_saturation;
  } capacity;

  std::vector<ApdexFigures> apdex;

  struct CostOptimization {
    double total_cost = 0;
    double cost_per_request = 0;
    double projected_daily_cost = 0;
    double projected_monthly_cost = 0;
    std::string cheapest_model;
    std::string most_expensive_model;
    double savings_if_cheapest = 0;  // this window's cost minus its tokens priced at the cheapest
    double cache_savings = 0;
  } cost;

  std::vector<Recommendation> recommendations;
  std::vector<AlertSummary> alerts;
};

class ReportGenerator {
 public:
  ReportGenerator(const MetricsSource& source, ReportOptions options = {});

  [[nodiscard]] Report generate(Period period, std::uint64_t now_ns) const;
  [[nodiscard]] const ReportOptions& options() const noexcept { return options_; }

 private:
  const MetricsSource& store_;
  ReportOptions options_;
};

// The report as JSON (the schema in docs/report.schema.json).
[[nodiscard]] std::string to_json(const Report& report);

}  // namespace lumen::report
