// ModelRouter: sends one document to a model and gets its answer, choosing the model.
//
// The preferred model is tried first, then the others in the fallback order, skipping models whose
// circuit breaker is open. Only model faults (no answer, a 5xx, a batch timeout) count against a
// model's breaker: a 4xx falls back to the next model without counting, and an error of the
// caller's (InvalidModelInput) or of the gateway's own reaches no breaker at all. Models with a
// batch endpoint go through a micro-batcher when batching is on, so that documents arriving
// together share one upstream call (and its overhead); a bad member fails alone. Every
// attempt is recorded: ai_requests_total / ai_request_duration_seconds and ai_token_usage_total by
// model, errors_total by type and model, a log line per failed attempt, and the breaker's state as
// the gauge ai_circuit_state{model} (0 closed, 1 half-open, 2 open), read from the breakers at each
// collection.
// Thread-safety: run() may be called from any number of threads.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "circuit_breaker.hpp"
#include "lumen/beautifyai/metrics.hpp"
#include "lumen/log/logger.hpp"
#include "lumen/perf/micro_batcher.hpp"
#include "upstream_client.hpp"

namespace beautifyai {

struct ModelInfo {
  std::string name;
  bool batch_endpoint = false;
};

// The models of lumen::beautifyai::model_catalog() (which apps/modelsim serves), most preferred
// first.
std::vector<ModelInfo> default_models();

struct RouterOptions {
  std::vector<ModelInfo> models = default_models();  // also the fallback order
  BreakerOptions breaker;
  lumen::perf::MicroBatcherOptions batch{.max_batch = 16,
                                         .max_delay = std::chrono::milliseconds(10),
                                         .timeout = std::chrono::seconds(20)};
};

struct RoutedAnswer {
  ModelAnswer answer;
  std::string model;  // the model that answered
  int attempts = 1;
};

// Every model failed or was refused by its breaker; the last error, for the client.
class NoModelAvailable : public std::runtime_error {
 public:
  NoModelAvailable(const std::string& message, int status)
      : std::runtime_error(message), status_(status) {}
  [[nodiscard]] int status() const noexcept { return status_; }

 private:
  int status_;
};

// The input cannot be sent to any model (it is not valid UTF-8): the caller's fault, so it counts
// against no model's breaker and no other model is tried.
class InvalidModelInput : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

class ModelRouter {
 public:
  ModelRouter(UpstreamClient& upstream, const RouterOptions& options,
              lumen::beautifyai::Metrics& ai, lumen::log::Logger logger);
  ~ModelRouter();
  ModelRouter(const ModelRouter&) = delete;
  ModelRouter& operator=(const ModelRouter&) = delete;

  // Throws NoModelAvailable when no model could answer, InvalidModelInput when `input` cannot be
  // sent to any; an unknown preferred model is ignored.
  [[nodiscard]] RoutedAnswer run(const std::string& preferred, const std::string& input);

  void set_batching(bool on) noexcept { batching_.store(on, std::memory_order_relaxed); }
  [[nodiscard]] bool batching() const noexcept { return batching_.load(std::memory_order_relaxed); }

  [[nodiscard]] std::map<std::string, BreakerStats> breakers() const;
  [[nodiscard]] std::uint64_t batches_sent() const;
  [[nodiscard]] bool knows(const std::string& model) const;

 private:
  struct Model;
  ModelAnswer call_model(Model& model, std::string input);

  UpstreamClient& upstream_;
  lumen::beautifyai::Metrics& ai_;
  lumen::log::Logger logger_;
  std::vector<std::unique_ptr<Model>> models_;
  std::atomic<bool> batching_{true};
};

}  // namespace beautifyai
