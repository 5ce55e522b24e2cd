#include "lumen/report/report.hpp"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <thread>

#include "median.hpp"
#include "profile_queries.hpp"

namespace lumen::report {
namespace {

// lumen's own instruments (the Prometheus names in brackets), whatever the service's profile.
constexpr std::string_view kRss = "process_resident_memory_bytes";
constexpr std::string_view kCpu = "process_cpu_seconds_total";
constexpr std::string_view kPoolWait = "lumen.pool.wait_time";  // lumen_pool_wait_time_seconds
constexpr std::string_view kSpansDropped = "lumen.spans.dropped";
constexpr std::string_view kLogsDropped = "lumen.log.records.dropped";

double ratio(double a, double b, double empty) {
  return b > 0 ? a / b : empty;
}

[[gnu::format(printf, 1, 2)]] std::string fmt(const char* format, ...) {
  char buf[256];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buf, sizeof buf, format, args);
  va_end(args);
  return buf;
}

}  // namespace

std::optional<Period> parse_period(std::string_view text) noexcept {
  if (text == "5m") return Period::k5m;
  if (text == "1h") return Period::k1h;
  if (text == "24h") return Period::k24h;
  return std::nullopt;
}

std::string_view period_name(Period p) noexcept {
  switch (p) {
    case Period::k5m:
      return "5m";
    case Period::k1h:
      return "1h";
    case Period::k24h:
      return "24h";
  }
  return "1h";
}

std::uint64_t period_ns(Period p) noexcept {
  constexpr std::uint64_t kMin = 60'000'000'000ULL;
  switch (p) {
    case Period::k5m:
      return 5 * kMin;
    case Period::k1h:
      return 60 * kMin;
    case Period::k24h:
      return std::uint64_t{24} * 60 * kMin;
  }
  return 60 * kMin;
}

ReportGenerator::ReportGenerator(const MetricsSource& store, ReportOptions options)
    : store_(store), options_(std::move(options)) {
  if (options_.cores == 0) options_.cores = std::max(1U, std::thread::hardware_concurrency());
}

Report ReportGenerator::generate(Period period, std::uint64_t now_ns) const {
  const ReportOptions& o = options_;
  const detail::ProfiledQueries s(store_, o.profile);
  const ReportMetrics& names = o.profile.metrics;
  const PricingTable& pricing = o.profile.pricing;
  Report r;
  r.period = period;
  r.generated_at_ns = now_ns;
  const std::uint64_t len = period_ns(period);
  const std::uint64_t t0 = now_ns > len ? now_ns - len : 0;
  // Samples arrive in time order, so a window that ends at the newest sample present now gains no
  // sample while the report runs: every query below sees the same samples, and a share such as the
  // success rate cannot mix a failure count that includes a sample with a request count that does
  // not (a sample is stamped before it is collected, so it may land with a time before now_ns).
  const std::uint64_t latest = std::min(store_.latest_time(), now_ns);
  const std::uint64_t t1 = std::max(t0, latest);
  r.window_start_ns = t0;
  const std::uint64_t oldest = store_.oldest_time();
  const std::uint64_t covered_from = std::max(oldest, t0);
  r.covered_seconds =
      latest > covered_from ? static_cast<double>(latest - covered_from) / 1e9 : 0.0;
  const double seconds = r.covered_seconds;

  // AI performance, per model and overall.
  const auto requests = s.requests_by_group(t0, t1);
  const auto failures = s.failures_by_group(t0, t1);
  const auto latency_by_model =
      s.histogram_by(names.request_duration, names.group_label, {}, t0, t1);
  const auto input = s.units_by_group("input", t0, t1);
  const auto output = s.units_by_group("output", t0, t1);
  const auto undirected = s.undirected_units_by_group(t0, t1);
  std::vector<std::string> models;
  for (const auto* m : {&requests, &input, &output, &undirected}) {
    for (const auto& [name, v] : *m) {
      if (v > 0 && std::find(models.begin(), models.end(), name) == models.end())
        models.push_back(name);
    }
  }
  std::sort(models.begin(), models.end());
  const auto get = [](const std::map<std::string, double>& m, const std::string& k) {
    const auto it = m.find(k);
    return it == m.end() ? 0.0 : it->second;
  };
  double total_failures = 0;
  for (const std::string& name : models) {
    ModelFigures f;
    f.model = name;
    f.requests = get(requests, name);
    // Prometheus may ingest a scrape between the two queries; failures are a subset of requests.
    f.failures = std::min(get(failures, name), f.requests);
    f.failure_rate = ratio(f.failures, f.requests, 0);
    if (const auto it = latency_by_model.find(name); it != latency_by_model.end()) {
      f.average_latency = it->second.mean();
      f.p99_latency = it->second.quantile(0.99);
    }
    f.input_tokens = get(input, name);
    f.output_tokens = get(output, name);
    // The undirected total (ai_tokens_total) counts every token of requests that reported a total;
    // when the split is known too, only what the split does not explain is priced as undirected.
    f.other_tokens = std::max(0.0, get(undirected, name) - f.input_tokens - f.output_tokens);
    f.cost = pricing.cost(name, f.input_tokens, f.output_tokens) +
             pricing.cost_undirected(name, f.other_tokens);
    f.cost_per_request = ratio(f.cost, f.requests, 0);
    r.ai.total_requests += f.requests;
    total_failures += f.failures;
    r.ai.total_cost += f.cost;
    r.ai.cost_by_model[name] = f.cost;
    r.ai.models.push_back(std::move(f));
  }
  r.ai.success_rate = ratio(r.ai.total_requests - total_failures, r.ai.total_requests, 1);
  const HistogramWindow lat = s.histogram(names.request_duration, {}, t0, t1);
  r.ai.average_latency = lat.mean();
  r.ai.p50_latency = lat.quantile(0.5);
  r.ai.p90_latency = lat.quantile(0.9);
  r.ai.p99_latency = lat.quantile(0.99);
  r.ai.request_rate = ratio(r.ai.total_requests, seconds, 0);

  // Cache.
  r.cache.lookups = s.increase(names.cache_requests, {}, t0, t1);
  r.cache.hits = s.increase(names.cache_requests, {{"hit", "true"}}, t0, t1);
  if (r.cache.lookups == 0) r.cache.hits = s.increase(names.cache_hits, {}, t0, t1);
  r.cache.hit_rate = ratio(r.cache.hits, r.cache.lookups, 0);
  const auto lookups_by_type = s.increase_by(names.cache_requests, "type", {}, t0, t1);
  r.cache.hits_by_type = s.increase_by(names.cache_hits, "type", {}, t0, t1);
  for (const auto& [type, n] : lookups_by_type) {
    r.cache.hit_rate_by_type[type] = ratio(get(r.cache.hits_by_type, type), n, 0);
    r.cache.hits_by_type.try_emplace(type, 0.0);
  }
  r.cache.memory_saved = s.increase(names.cache_saved_bytes, {}, t0, t1);
  const auto avoided_cache =
      s.increase_by(names.calls_avoided, names.group_label, {{"reason", "cache"}}, t0, t1);
  const auto avoided_coalesced =
      s.increase_by(names.calls_avoided, names.group_label, {{"reason", "coalesced"}}, t0, t1);
  const double overall_cost_per_call = ratio(r.ai.total_cost, r.ai.total_requests, 0);
  const auto cost_per_call = [&](const std::string& model) {
    for (const ModelFigures& f : r.ai.models) {
      if (f.model == model && f.requests > 0) return f.cost_per_request;
    }
    return overall_cost_per_call;
  };
  for (const auto& [model, n] : avoided_cache) {
    r.cache.calls_avoided_by_cache += n;
    r.cache.cost_savings += n * cost_per_call(model);
  }
  for (const auto& [model, n] : avoided_coalesced) {
    r.cache.calls_avoided_by_coalescing += n;
    r.cache.cost_savings += n * cost_per_call(model);
  }
  if (r.cache.calls_avoided_by_cache == 0 && r.cache.hits > 0) {
    // The service does not say which hits replaced an AI call: every hit is counted as one.
    r.cache.calls_avoided_by_cache = r.cache.hits;
    r.cache.cost_savings += r.cache.hits * overall_cost_per_call;
  }

  // System health.
  r.health.active_connections = s.gauge(names.active_connections, {}, t0, t1).latest;
  const GaugeWindow queue = s.gauge(names.queue_depth, {}, t0, t1);
  r.health.queue_depth = queue.latest;
  r.health.queue_depth_max = queue.max;
  r.health.memory_usage = s.gauge(names.memory_usage, {}, t0, t1).latest;
  if (r.health.memory_usage == 0) r.health.memory_usage = s.gauge(kRss, {}, t0, t1).latest;
  const double cpu_cores = ratio(s.increase(kCpu, {}, t0, t1), seconds, 0);
  r.health.cpu_usage = cpu_cores / o.cores;
  r.health.error_rate = ratio(total_failures, r.ai.total_requests, 0);
  r.health.errors_by_type = s.increase_by(names.errors, "type", {}, t0, t1);

  // Capacity.
  r.capacity.request_rate = r.ai.request_rate;
  r.capacity.cpu_cores_used = cpu_cores;
  r.capacity.cores = o.cores;
  r.capacity.throughput_per_core = ratio(r.ai.request_rate, cpu_cores, 0);
  r.capacity.utilization = r.health.cpu_usage;
  r.capacity.max_throughput = r.capacity.throughput_per_core * o.cores;
  r.capacity.queue_growth_per_second = queue.slope_per_second();
  if (r.capacity.queue_growth_per_second > 0 &&
      static_cast<double>(o.queue_capacity) > queue.latest) {
    r.capacity.seconds_to_queue_saturation =
        (static_cast<double>(o.queue_capacity) - queue.latest) / r.capacity.queue_growth_per_second;
  }

  // Apdex per tier: satisfied <= T, tolerating <= 4T.
  for (const auto& [tier, h] :
       s.histogram_by(names.user_request_duration, names.tier_label, {}, t0, t1)) {
    ApdexFigures a;
    a.tier = tier.empty() ? "unknown" : tier;
    const auto it = o.apdex_targets.find(tier);
    a.target = it == o.apdex_targets.end() ? o.apdex_default_target : it->second;
    a.total = h.count;
    a.satisfied = h.count_at_or_below(a.target);
    a.tolerating = std::max(0.0, h.count_at_or_below(4 * a.target) - a.satisfied);
    a.score = a.total > 0 ? std::clamp((a.satisfied + a.tolerating / 2) / a.total, 0.0, 1.0) : 1.0;
    r.apdex.push_back(std::move(a));
  }

  // Cost optimisation.
  r.cost.total_cost = r.ai.total_cost;
  r.cost.cost_per_request = overall_cost_per_call;
  const double day_fraction = seconds > 0 ? 86400.0 / seconds : 0;
  r.cost.projected_daily_cost = r.ai.total_cost * day_fraction;
  r.cost.projected_monthly_cost = r.cost.projected_daily_cost * 30;
  r.cost.cache_savings = r.cache.cost_savings;
  double cheapest = -1;
  double dearest = -1;
  double all_tokens_at_cheapest = 0;
  // Without prices (a profile with nothing priced) no group is cheaper or dearer than another.
  const bool priced = !pricing.models.empty() || pricing.fallback.input_per_1k > 0 ||
                      pricing.fallback.output_per_1k > 0;
  for (const ModelFigures& f : priced ? r.ai.models : std::vector<ModelFigures>{}) {
    const ModelPrice& p = pricing.price(f.model);
    const double blended = p.input_per_1k + p.output_per_1k;
    if (cheapest < 0 || blended < cheapest) {
      cheapest = blended;
      r.cost.cheapest_model = f.model;
    }
    if (f.cost_per_request > dearest && f.requests > 0) {
      dearest = f.cost_per_request;
      r.cost.most_expensive_model = f.model;
    }
  }
  if (!r.cost.cheapest_model.empty()) {
    for (const ModelFigures& f : r.ai.models) {
      all_tokens_at_cheapest +=
          pricing.cost(r.cost.cheapest_model, f.input_tokens, f.output_tokens) +
          pricing.cost_undirected(r.cost.cheapest_model, f.other_tokens);
    }
    r.cost.savings_if_cheapest = std::max(0.0, r.ai.total_cost - all_tokens_at_cheapest);
  }

  // Recommendations.
  auto& rec = r.recommendations;
  if (r.cache.lookups > 0 && r.cache.hit_rate < o.min_cache_hit_rate) {
    rec.push_back({"cache_hit_rate_low", "warning",
                   fmt("Cache hit rate is %.1f%% (below %.0f%%): review cache keys and TTLs, or "
                       "warm the cache for frequent requests.",
                       r.cache.hit_rate * 100, o.min_cache_hit_rate * 100),
                   r.cache.hit_rate, o.min_cache_hit_rate});
  }
  if (r.ai.total_requests > 0 && r.health.error_rate > o.max_error_rate) {
    rec.push_back({"error_rate_high", "critical",
                   fmt("Error rate is %.1f%% (above %.0f%%): check provider status and add "
                       "retries with backoff or a fallback model.",
                       r.health.error_rate * 100, o.max_error_rate * 100),
                   r.health.error_rate, o.max_error_rate});
  }
  if (lat.count > 0 && r.ai.p99_latency > o.max_p99_latency) {
    rec.push_back({"p99_latency_high", "warning",
                   fmt("p99 AI latency is %.2f s (above %.1f s): consider a faster model, "
                       "smaller prompts or request timeouts.",
                       r.ai.p99_latency, o.max_p99_latency),
                   r.ai.p99_latency, o.max_p99_latency});
  }
  const double spans_dropped = s.increase(kSpansDropped, {}, t0, t1);
  const double logs_dropped = s.increase(kLogsDropped, {}, t0, t1);
  if (spans_dropped > 0) {
    rec.push_back({"spans_dropped", "warning",
                   fmt("%.0f spans were dropped: raise the span queue size or the export rate "
                       "(traces are incomplete).",
                       spans_dropped),
                   spans_dropped, 0});
  }
  if (logs_dropped > 0) {
    rec.push_back({"log_records_dropped", "warning",
                   fmt("%.0f log records were dropped: raise the log queue capacity or lower the "
                       "log level.",
                       logs_dropped),
                   logs_dropped, 0});
  }
  for (const auto& [pool, h] : s.histogram_by(kPoolWait, "pool", {}, t0, t1)) {
    const double p99 = h.quantile(0.99);
    if (h.count > 0 && p99 > o.max_pool_wait_p99) {
      rec.push_back({"pool_wait_high", "warning",
                     "Pool '" + pool + "' p99 acquire wait is " + fmt("%.3f s", p99) +
                         ": the pool is too small for the load (raise max_size).",
                     p99, o.max_pool_wait_p99});
    }
  }
  if (queue.samples >= 3 && r.capacity.queue_growth_per_second > o.queue_growth_per_second &&
      queue.latest > queue.first) {
    rec.push_back({"queue_depth_growing", "warning",
                   fmt("Queue depth grows by %.2f jobs/s: consumers cannot keep up; add workers "
                       "or shed load.",
                       r.capacity.queue_growth_per_second),
                   r.capacity.queue_growth_per_second, o.queue_growth_per_second});
  }
  if (r.ai.models.size() >= 2) {
    for (const ModelFigures& f : r.ai.models) {
      if (f.requests < static_cast<double>(o.model_outlier_min_requests)) continue;
      std::vector<double> other_failure;
      std::vector<double> other_cost;
      for (const ModelFigures& g : r.ai.models) {
        if (&g == &f || g.requests < static_cast<double>(o.model_outlier_min_requests)) continue;
        other_failure.push_back(g.failure_rate);
        other_cost.push_back(g.cost_per_request);
      }
      if (other_failure.empty()) continue;
      const double mf = detail::median(other_failure);
      if (f.failure_rate > o.max_error_rate && f.failure_rate > o.model_outlier_factor * mf) {
        rec.push_back({"model_failure_rate_outlier", "warning",
                       "Model " + f.model +
                           fmt(" fails %.1f%% of requests, far above the others "
                               "(median %.1f%%): route traffic away from it.",
                               f.failure_rate * 100, mf * 100),
                       f.failure_rate, o.model_outlier_factor * mf});
      }
      const double mc = detail::median(other_cost);
      if (mc > 0 && f.cost_per_request > o.model_outlier_factor * mc) {
        rec.push_back({"model_cost_outlier", "info",
                       "Model " + f.model +
                           fmt(" costs $%.5f per request, far above the others "
                               "(median $%.5f): use it only where it is needed.",
                               f.cost_per_request, mc),
                       f.cost_per_request, o.model_outlier_factor * mc});
      }
    }
  }
  for (const auto& [model, g] : s.gauge_by(names.circuit_state, names.group_label, {}, t0, t1)) {
    if (g.samples > 0 && g.latest >= 2) {
      rec.push_back({"circuit_breaker_open", "critical",
                     "The circuit breaker for " + model +
                         " is open: its requests fail fast; check the provider and the fallback.",
                     g.latest, 2});
    }
  }
  return r;
}

}  // namespace lumen::report
