// The report as JSON (cold path: nlohmann_json). Field names are the original's camelCase.
#include <ctime>
#include <nlohmann/json.hpp>

#include "lumen/report/report.hpp"
#include "time_format.hpp"

namespace lumen::report {
namespace {}  // namespace

std::string to_json(const Report& r) {
  using nlohmann::json;
  json j;
  j["period"] = std::string(period_name(r.period));
  j["generatedAt"] = detail::utc_time(r.generated_at_ns);
  j["windowStart"] = detail::utc_time(r.window_start_ns);
  j["coveredSeconds"] = r.covered_seconds;

  json models = json::array();
  for (const ModelFigures& f : r.ai.models) {
    models.push_back({{"model", f.model},
                      {"requests", f.requests},
                      {"failures", f.failures},
                      {"failureRate", f.failure_rate},
                      {"averageLatency", f.average_latency},
                      {"p99Latency", f.p99_latency},
                      {"inputTokens", f.input_tokens},
                      {"outputTokens", f.output_tokens},
                      {"otherTokens", f.other_tokens},
                      {"cost", f.cost},
                      {"costPerRequest", f.cost_per_request}});
  }
  j["aiPerformance"] = {
      {"totalRequests", r.ai.total_requests},   {"successRate", r.ai.success_rate},
      {"averageLatency", r.ai.average_latency}, {"p50Latency", r.ai.p50_latency},
      {"p90Latency", r.ai.p90_latency},         {"p99Latency", r.ai.p99_latency},
      {"requestRate", r.ai.request_rate},       {"totalCost", r.ai.total_cost},
      {"costByModel", r.ai.cost_by_model},      {"models", models}};
  j["cachePerformance"] = {{"lookups", r.cache.lookups},
                           {"hits", r.cache.hits},
                           {"hitRate", r.cache.hit_rate},
                           {"hitsByType", r.cache.hits_by_type},
                           {"hitRateByType", r.cache.hit_rate_by_type},
                           {"memorySaved", r.cache.memory_saved},
                           {"callsAvoided",
                            {{"cache", r.cache.calls_avoided_by_cache},
                             {"coalesced", r.cache.calls_avoided_by_coalescing}}},
                           {"costSavings", r.cache.cost_savings}};
  j["systemHealth"] = {{"activeConnections", r.health.active_connections},
                       {"queueDepth", r.health.queue_depth},
                       {"queueDepthMax", r.health.queue_depth_max},
                       {"memoryUsage", r.health.memory_usage},
                       {"cpuUsage", r.health.cpu_usage},
                       {"errorRate", r.health.error_rate},
                       {"errorsByType", r.health.errors_by_type}};
  j["capacity"] = {{"requestRate", r.capacity.request_rate},
                   {"cpuCoresUsed", r.capacity.cpu_cores_used},
                   {"cores", r.capacity.cores},
                   {"throughputPerCore", r.capacity.throughput_per_core},
                   {"utilization", r.capacity.utilization},
                   {"maxThroughput", r.capacity.max_throughput},
                   {"queueGrowthPerSecond", r.capacity.queue_growth_per_second},
                   {"secondsToQueueSaturation", r.capacity.seconds_to_queue_saturation
                                                    ? json(*r.capacity.seconds_to_queue_saturation)
                                                    : json(nullptr)}};
  json apdex = json::array();
  for (const ApdexFigures& a : r.apdex) {
    apdex.push_back({{"tier", a.tier},
                     {"target", a.target},
                     {"satisfied", a.satisfied},
                     {"tolerating", a.tolerating},
                     {"total", a.total},
                     {"score", a.score}});
  }
  j["userExperience"] = {{"apdex", apdex}};
  j["costOptimization"] = {{"totalCost", r.cost.total_cost},
                           {"costPerRequest", r.cost.cost_per_request},
                           {"projectedDailyCost", r.cost.projected_daily_cost},
                           {"projectedMonthlyCost", r.cost.projected_monthly_cost},
                           {"cheapestModel", r.cost.cheapest_model},
                           {"mostExpensiveModel", r.cost.most_expensive_model},
                           {"savingsIfCheapest", r.cost.savings_if_cheapest},
                           {"cacheSavings", r.cost.cache_savings}};
  json recs = json::array();
  for (const Recommendation& x : r.recommendations) {
    recs.push_back({{"id", x.id},
                    {"severity", x.severity},
                    {"message", x.message},
                    {"value", x.value},
                    {"threshold", x.threshold}});
  }
  j["recommendations"] = recs;
  json alerts = json::array();
  for (const AlertSummary& a : r.alerts) {
    alerts.push_back({{"name", a.name},
                      {"severity", a.severity},
                      {"state", a.state},
                      {"value", a.value},
                      {"threshold", a.threshold},
                      {"since", detail::utc_time(a.since_ns)},
                      {"message", a.message}});
  }
  j["alerts"] = alerts;
  // Non-finite numbers would make invalid JSON; the generator never produces them, but be safe.
  return j.dump(2, ' ', false, json::error_handler_t::replace);
}

}  // namespace lumen::report
