// ReportProfile: which of a service's metrics the report, the alerts and the dashboard read, and
// what its priced calls cost. The report knows figures (request rate, latency percentiles, error
// rate, cost by model, cache hit rate, Apdex, queue growth); a profile says which instrument holds
// each one, so any service gets a report over its own metrics.
//
// The default profile follows the OpenTelemetry HTTP server semantic conventions: requests and
// latency from the histogram http.server.request.duration, grouped by http.route (the report's
// "models"), Apdex per route, in-flight requests from http.server.active_requests, and no prices.
// A service with its own names fills in what it has; an empty name leaves that figure at zero.
//
//   lumen::report::ReportProfile checkout;
//   checkout.metrics.requests = "orders.placed";           // counter {payment_provider, outcome}
//   checkout.metrics.request_duration = "orders.place.duration";
//   checkout.metrics.group_label = "payment_provider";
//   checkout.metrics.failure_match = {{"outcome", "declined"}};
//   checkout.metrics.token_usage = "";                     // nothing priced per token
//   checkout.prometheus_names["orders.placed"] = "orders_placed_total";
//   lumen::report::ReportGenerator gen(store, {.profile = checkout});
//
// BeautifyAI's profile is lumen::beautifyai::report_profile()
// (lumen/beautifyai/report_profile.hpp). Thread safety: a plain value; const access from several
// threads is safe.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "lumen/report/pricing.hpp"
#include "lumen/report/time_series_store.hpp"

namespace lumen::report {

// Instrument names as the metrics pipeline reports them (dotted, e.g. "ai.requests"). Each comment
// gives the kind and the labels the report reads; `group` is group_label.
struct ReportMetrics {
  // counter {group, failure_match}: one per request. Empty: requests are counted from
  // request_duration's histogram count (as the OpenTelemetry conventions have no request counter).
  std::string requests;
  // histogram {group}, seconds: latency percentiles, and the p99 recommendation and alert.
  std::string request_duration = "http.server.request.duration";
  // The label the per-"model" figures group by (a model, a route, an upstream).
  std::string group_label = "http.route";
  // A request is failed when its series has every one of these labels (exact values), on requests
  // or, when requests is empty, on request_duration. Empty: no request counts as failed.
  Labels failure_match;
  // counter {group}: tokens (or any priced unit) without a direction, priced at the mean price.
  std::string tokens;
  // counter {group, direction="input"|"output"}: priced units by direction.
  std::string token_usage;
  // counter {group, reason="cache"|"coalesced"}: priced calls that were not made.
  std::string calls_avoided;
  // gauge {group}: a circuit breaker's state; 2 is open.
  std::string circuit_state;
  // counter {type, hit="true"|"false"}: cache lookups; cache_hits counter {type}: hits.
  std::string cache_requests;
  std::string cache_hits;
  // counter {type}, bytes served from a cache.
  std::string cache_saved_bytes;
  // counter {type}: errors by type.
  std::string errors;
  // gauges.
  std::string active_connections = "http.server.active_requests";
  std::string queue_depth;
  std::string memory_usage;  // bytes; the process's resident memory when empty or absent
  // histogram {tier_label}, seconds: what Apdex is computed from, per tier.
  std::string user_request_duration = "http.server.request.duration";
  std::string tier_label = "http.route";
};

struct ReportProfile {
  ReportMetrics metrics;
  // Prices of the groups' priced units (USD per 1,000); empty: every cost is zero.
  PricingTable pricing;
  // For PrometheusSource: instrument name -> exposed Prometheus name (without _bucket/_sum/_count).
  // Names not listed have their dots and dashes turned into underscores (counters gain _total).
  std::map<std::string, std::string, std::less<>> prometheus_names = {
      {"http.server.request.duration", "http_server_request_duration_seconds"},
      {"http.server.active_requests", "http_server_active_requests"},
  };
};

}  // namespace lumen::report
