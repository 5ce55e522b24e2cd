#include "lumen/beautifyai/report_profile.hpp"

#include "lumen/beautifyai/model_catalog.hpp"

namespace lumen::beautifyai {

report::PricingTable model_prices() {
  report::PricingTable t;
  for (const ModelCapabilities& model : model_catalog()) {
    t.models[model.name] = {model.input_usd_per_1k_tokens, model.output_usd_per_1k_tokens};
  }
  t.fallback = {0.001, 0.002};
  return t;
}

report::ReportProfile report_profile() {
  report::ReportProfile p;
  p.metrics = {
      .requests = "ai.requests",
      .request_duration = "ai.request.duration",
      .group_label = "model",
      .failure_match = {{"success", "false"}},
      .tokens = "ai.tokens",
      .token_usage = "ai.token.usage",
      .calls_avoided = "ai.calls.avoided",
      .circuit_state = "ai.circuit.state",
      .cache_requests = "cache.requests",
      .cache_hits = "cache.hits",
      .cache_saved_bytes = "cache.saved",
      .errors = "errors",
      .active_connections = "active.connections",
      .queue_depth = "queue.depth",
      .memory_usage = "memory.usage",
      .user_request_duration = "user.request.duration",
      .tier_label = "tier",
  };
  p.pricing = model_prices();
  // Units and the _total suffix are part of the exposed names (see lumen/metrics/prometheus.hpp),
  // which the dotted names alone do not tell.
  p.prometheus_names = {
      {"ai.requests", "ai_requests_total"},
      {"ai.tokens", "ai_tokens_total"},
      {"ai.token.usage", "ai_token_usage_total"},
      {"ai.calls.avoided", "ai_calls_avoided_total"},
      {"cache.requests", "cache_requests_total"},
      {"cache.hits", "cache_hits_total"},
      {"cache.saved", "cache_saved_bytes_total"},
      {"errors", "errors_total"},
      {"ai.request.duration", "ai_request_duration_seconds"},
      {"user.request.duration", "user_request_duration_seconds"},
      {"queue.processing.duration", "queue_processing_duration_seconds"},
      {"active.connections", "active_connections"},
      {"queue.depth", "queue_depth"},
      {"memory.usage", "memory_usage_bytes"},
      {"ai.circuit.state", "ai_circuit_state"},
  };
  return p;
}

}  // namespace lumen::beautifyai
