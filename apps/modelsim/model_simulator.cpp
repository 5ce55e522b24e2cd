#include "model_simulator.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "lumen/beautifyai/model_catalog.hpp"

namespace modelsim {

namespace {

// How a model of the catalog behaves here (latency, failures, rate limit); a model without an entry
// gets ModelSpec's defaults.
ModelSpec behaviour_of(std::string_view model) {
  if (model == "gemini-2.0-flash") {
    return {.median_ms = 180,
            .sigma = 0.35,
            .overhead_ms = 60,
            .per_item_ms = 25,
            .failure_rate = 0.01,
            .requests_per_second = 200};
  }
  if (model == "gemini-1.5-pro") {
    return {.median_ms = 650,
            .sigma = 0.4,
            .overhead_ms = 90,
            .per_item_ms = 120,
            .failure_rate = 0.02,
            .requests_per_second = 60};
  }
  if (model == "claude-3-haiku") {
    return {.median_ms = 300,
            .sigma = 0.3,
            .overhead_ms = 70,
            .per_item_ms = 40,
            .failure_rate = 0.01,
            .requests_per_second = 100};
  }
  if (model == "gpt-4o-mini") {
    return {.median_ms = 400,
            .sigma = 0.45,
            .overhead_ms = 80,
            .failure_rate = 0.015,
            .requests_per_second = 100};
  }
  return {};
}

}  // namespace

std::vector<ModelSpec> default_models() {
  std::vector<ModelSpec> models;
  for (const lumen::beautifyai::ModelCapabilities& model : lumen::beautifyai::model_catalog()) {
    ModelSpec spec = behaviour_of(model.name);
    spec.name = model.name;
    spec.batch_endpoint = model.batch_endpoint;
    spec.input_usd_per_1k_tokens = model.input_usd_per_1k_tokens;
    spec.output_usd_per_1k_tokens = model.output_usd_per_1k_tokens;
    models.push_back(std::move(spec));
  }
  return models;
}

std::optional<Scenario> parse_scenario(std::string_view name) {
  if (name == "normal") return Scenario::kNormal;
  if (name == "slow") return Scenario::kSlow;
  if (name == "down") return Scenario::kDown;
  if (name == "ratelimited") return Scenario::kRateLimited;
  return std::nullopt;
}

const char* to_string(Scenario scenario) {
  switch (scenario) {
    case Scenario::kNormal:
      return "normal";
    case Scenario::kSlow:
      return "slow";
    case Scenario::kDown:
      return "down";
    case Scenario::kRateLimited:
      return "ratelimited";
  }
  return "normal";
}

std::int64_t count_tokens(const std::string& text) {
  return std::max<std::int64_t>(1, static_cast<std::int64_t>((text.size() + 3) / 4));
}

ModelSimulator::ModelSimulator(std::vector<ModelSpec> models, std::uint64_t seed) : random_(seed) {
  for (auto& spec : models) {
    ModelState state{.spec = spec, .bucket = spec.requests_per_second};
    models_.emplace(spec.name, std::move(state));
  }
}

bool ModelSimulator::take_rate_token(ModelState& m, std::chrono::steady_clock::time_point now,
                                     std::chrono::seconds& retry_after) {
  const double rate = m.spec.requests_per_second;
  if (rate <= 0) return true;
  if (m.refilled != std::chrono::steady_clock::time_point{}) {
    const double elapsed = std::chrono::duration<double>(now - m.refilled).count();
    m.bucket = std::min(rate, m.bucket + std::max(0.0, elapsed) * rate);
  }
  m.refilled = now;
  if (m.bucket >= 1) {
    m.bucket -= 1;
    return true;
  }
  retry_after = std::chrono::seconds(
      std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil((1 - m.bucket) / rate))));
  return false;
}

Outcome ModelSimulator::call(const std::string& model, const std::vector<std::string>& inputs,
                             std::chrono::steady_clock::time_point now) {
  lumen::internal::MutexLock lock(mutex_);
  Outcome out;
  const auto found = models_.find(model);
  if (found == models_.end()) {
    out.status = 404;
    out.error = "unknown model '" + model + "'";
    return out;
  }
  ModelState& m = found->second;
  const ModelSpec& spec = m.spec;
  ++m.stats.calls;
  m.stats.inputs += inputs.size();
  if (inputs.size() > 1 && !spec.batch_endpoint) {
    out.status = 400;
    out.error = model + " has no batch endpoint";
    return out;
  }
  if (m.scenario == Scenario::kDown) {
    ++m.stats.failed;
    out.status = 503;
    out.retry_after = std::chrono::seconds(5);
    out.error = model + " is unavailable";
    out.latency = std::chrono::milliseconds(static_cast<std::int64_t>(spec.overhead_ms));
    return out;
  }
  if (m.scenario == Scenario::kRateLimited || !take_rate_token(m, now, out.retry_after)) {
    ++m.stats.rate_limited;
    out.status = 429;
    if (out.retry_after.count() == 0) out.retry_after = std::chrono::seconds(2);
    out.error = "rate limit exceeded for " + model;
    out.latency = std::chrono::milliseconds(5);
    return out;
  }

  // The body: log-normal around the median, sometimes in the tail; a batch pays the overhead once
  // and per_item_ms for each further input.
  std::lognormal_distribution<double> body(std::log(spec.median_ms), spec.sigma);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  double ms = spec.overhead_ms + body(random_);
  if (unit(random_) < spec.tail_probability) ms *= spec.tail_factor;
  ms += spec.per_item_ms * static_cast<double>(inputs.size() - 1);
  if (m.scenario == Scenario::kSlow) ms *= 5;
  out.latency = std::chrono::milliseconds(std::llround(ms));

  if (unit(random_) < spec.failure_rate) {
    ++m.stats.failed;
    out.status = 500;
    out.error = "internal error in " + model;
    return out;
  }
  ++m.stats.ok;
  for (const auto& input : inputs) {
    const std::int64_t in = count_tokens(input);
    const std::int64_t generated = 50 + in / 2;
    out.input_tokens.push_back(in);
    out.output_tokens.push_back(generated);
    m.stats.input_tokens += in;
    m.stats.output_tokens += generated;
    m.stats.cost_usd += static_cast<double>(in) / 1000 * spec.input_usd_per_1k_tokens +
                        static_cast<double>(generated) / 1000 * spec.output_usd_per_1k_tokens;
  }
  return out;
}

void ModelSimulator::set_scenario(const std::string& model, Scenario scenario) {
  lumen::internal::MutexLock lock(mutex_);
  const auto found = models_.find(model);
  if (found == models_.end()) throw std::invalid_argument("unknown model '" + model + "'");
  found->second.scenario = scenario;
}

Scenario ModelSimulator::scenario(const std::string& model) const {
  lumen::internal::MutexLock lock(mutex_);
  const auto found = models_.find(model);
  return found == models_.end() ? Scenario::kNormal : found->second.scenario;
}

std::vector<ModelSpec> ModelSimulator::models() const {
  lumen::internal::MutexLock lock(mutex_);
  std::vector<ModelSpec> out;
  for (const auto& [name, m] : models_) out.push_back(m.spec);
  return out;
}

std::map<std::string, ModelStats> ModelSimulator::stats() const {
  lumen::internal::MutexLock lock(mutex_);
  std::map<std::string, ModelStats> out;
  for (const auto& [name, m] : models_) out.emplace(name, m.stats);
  return out;
}

}  // namespace modelsim
