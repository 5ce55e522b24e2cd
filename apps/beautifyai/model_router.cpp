#include "model_router.hpp"

#include <chrono>

namespace beautifyai {

std::vector<ModelInfo> default_models() {
  return {{"gemini-2.0-flash", true}, {"gpt-4o-mini", true}, {"claude-3-haiku", true},
          {"gemini-1.5-pro", true}};
}

struct ModelRouter::Model {
  Model(const ModelInfo& info, const BreakerOptions& breaker_options, UpstreamClient& upstream,
        const lumen::perf::MicroBatcherOptions& batch_options)
      : name(info.name),
        batch_endpoint(info.batch_endpoint),
        breaker(breaker_options),
        batcher(
            [this, &upstream](std::vector<std::string>& inputs) { return upstream.call(name, inputs); },
            batch_options) {}

  const std::string name;
  const bool batch_endpoint;
  CircuitBreaker breaker;
  lumen::perf::MicroBatcher<std::string, ModelAnswer> batcher;
};

ModelRouter::ModelRouter(UpstreamClient& upstream, RouterOptions options,
                         lumen::beautifyai::Metrics& ai, lumen::log::Logger logger)
    : upstream_(upstream), ai_(ai), logger_(std::move(logger)) {
  for (const ModelInfo& info : options.models) {
    models_.push_back(std::make_unique<Model>(info, options.breaker, upstream, options.batch));
  }
  for (const auto& m : models_) publish_state(*m);
}

void ModelRouter::publish_state(Model& model) {
  using lumen::beautifyai::CircuitState;
  switch (model.breaker.state()) {
    case BreakerState::kClosed: ai_.set_circuit_state(model.name, CircuitState::kClosed); break;
    case BreakerState::kHalfOpen: ai_.set_circuit_state(model.name, CircuitState::kHalfOpen); break;
    case BreakerState::kOpen: ai_.set_circuit_state(model.name, CircuitState::kOpen); break;
  }
}

ModelRouter::~ModelRouter() = default;

bool ModelRouter::knows(const std::string& model) const {
  for (const auto& m : models_) {
    if (m->name == model) return true;
  }
  return false;
}

ModelAnswer ModelRouter::call_model(Model& model, std::string input) {
  if (model.batch_endpoint && batching()) return model.batcher.submit(std::move(input));
  return upstream_.call(model.name, {std::move(input)}).at(0);
}

RoutedAnswer ModelRouter::run(const std::string& preferred, std::string input) {
  std::vector<Model*> order;
  order.reserve(models_.size());
  for (const auto& m : models_) {
    if (m->name == preferred) order.push_back(m.get());
  }
  for (const auto& m : models_) {
    if (m->name != preferred) order.push_back(m.get());
  }
  std::string last_error = "every model's circuit breaker is open";
  int last_status = 503;
  int attempts = 0;
  for (Model* model : order) {
    const bool allowed = model->breaker.allow();
    publish_state(*model);
    if (!allowed) continue;
    ++attempts;
    const auto start = std::chrono::steady_clock::now();
    try {
      ModelAnswer answer = call_model(*model, input);
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      model->breaker.record(true);
      publish_state(*model);
      ai_.record_ai_request(model->name, true, ms, answer.input_tokens + answer.output_tokens);
      ai_.record_ai_tokens(model->name, answer.input_tokens, answer.output_tokens);
      return {std::move(answer), model->name, attempts};
    } catch (const std::exception& e) {
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      model->breaker.record(false);
      publish_state(*model);
      ai_.record_ai_request(model->name, false, ms);
      int status = 502;
      std::string type = "upstream_error";
      if (const auto* upstream = dynamic_cast<const UpstreamError*>(&e)) {
        status = upstream->status() == 0 ? 504 : upstream->status();
        type = upstream->status() == 429 ? "rate_limited"
               : upstream->status() == 0 ? "upstream_unreachable"
                                         : "upstream_" + std::to_string(upstream->status());
      } else if (dynamic_cast<const lumen::perf::MicroBatchTimeout*>(&e) != nullptr) {
        status = 504;
        type = "batch_timeout";
      }
      ai_.record_error(type, model->name);
      logger_.warn("AI request failed", {{"model", model->name}, {"error", e.what()},
                                         {"duration_ms", ms}, {"fallback", true}});
      last_error = model->name + ": " + e.what();
      last_status = status == 429 ? 429 : 502;
    }
  }
  throw NoModelAvailable("no model could answer (" + last_error + ")", last_status);
}

std::map<std::string, BreakerStats> ModelRouter::breakers() const {
  std::map<std::string, BreakerStats> out;
  for (const auto& m : models_) out.emplace(m->name, m->breaker.stats());
  return out;
}

std::uint64_t ModelRouter::batches_sent() const {
  std::uint64_t total = 0;
  for (const auto& m : models_) total += m->batcher.stats().batches;
  return total;
}

}  // namespace beautifyai
