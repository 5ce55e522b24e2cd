// ModelSimulator: the behaviour of simulated AI models, without any networking: latency drawn from
// a log-normal distribution with a heavy tail, failures, per-model rate limits that answer 429 with
// a Retry-After, token accounting, a per-call overhead, a batch call that amortizes it, and
// scenarios switched at run time (a model goes slow, a model goes down). Deterministic for a seed
// and an order of calls. The HTTP server in modelsim_server.hpp puts it on the network.
// Thread-safety: all methods may be called concurrently.
//
//   modelsim::ModelSimulator sim(modelsim::default_models(), /*seed=*/42);
//   modelsim::Outcome o = sim.call("gemini-2.0-flash", {"a document..."});
//   // wait o.latency, then answer o.status with o.output_tokens ...
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>
#include "lumen/core/internal/mutex.hpp"

namespace modelsim {

struct ModelSpec {
  std::string name;
  double median_ms = 200;          // of the log-normal body
  double sigma = 0.35;             // spread of the log-normal body
  double tail_probability = 0.02;  // a call lands in the tail this often...
  double tail_factor = 6;          // ...and then takes this many times longer
  double overhead_ms = 40;         // per call, paid once by a batch call
  double per_item_ms = 0;      // in a batch call, each further input adds this (the model's work)
  double failure_rate = 0.01;  // share of calls answered 500
  double requests_per_second = 0;  // rate limit (token bucket, burst = one second's worth); 0: none
  double input_usd_per_1k_tokens = 0.0001;
  double output_usd_per_1k_tokens = 0.0004;
  bool batch_endpoint = true;
};

// The models of lumen::beautifyai::model_catalog() (their batch endpoints and prices), each with
// plausible, distinct behaviour.
std::vector<ModelSpec> default_models();

enum class Scenario { kNormal, kSlow, kDown, kRateLimited };
// "normal", "slow" (latency x5), "down" (every call 503), "ratelimited" (every call 429)
std::optional<Scenario> parse_scenario(std::string_view name);
const char* to_string(Scenario scenario);

struct Outcome {
  int status = 200;                        // 200, 429 (rate limited), 500 (failed), 503 (down), 404
  std::chrono::milliseconds latency{0};    // how long to wait before answering
  std::chrono::seconds retry_after{0};     // with 429 and 503
  std::vector<std::int64_t> input_tokens;  // one per input (200 only)
  std::vector<std::int64_t> output_tokens;
  std::string error;  // a message for non-200
};

struct ModelStats {
  std::uint64_t calls = 0;   // HTTP calls, batch or single
  std::uint64_t inputs = 0;  // documents across all calls
  std::uint64_t ok = 0;
  std::uint64_t failed = 0;  // 500 and 503
  std::uint64_t rate_limited = 0;
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  double cost_usd = 0;
};

class ModelSimulator {
 public:
  ModelSimulator(std::vector<ModelSpec> models, std::uint64_t seed);

  // One call with one input (inputs.size() == 1) or a batch (several). `now` is injectable so that
  // tests can drive the rate limiter.
  Outcome call(const std::string& model, const std::vector<std::string>& inputs,
               std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

  // Throws std::invalid_argument for an unknown model.
  void set_scenario(const std::string& model, Scenario scenario);
  [[nodiscard]] Scenario scenario(const std::string& model) const;

  [[nodiscard]] std::vector<ModelSpec> models() const;
  [[nodiscard]] std::map<std::string, ModelStats> stats() const;

 private:
  struct ModelState {
    ModelSpec spec;
    Scenario scenario = Scenario::kNormal;
    double bucket = 0;  // rate-limit tokens
    std::chrono::steady_clock::time_point refilled{};
    ModelStats stats;
  };
  bool take_rate_token(ModelState& m, std::chrono::steady_clock::time_point now,
                       std::chrono::seconds& retry_after) LUMEN_REQUIRES(mutex_);

  mutable lumen::internal::Mutex mutex_;
  std::map<std::string, ModelState, std::less<>> models_ LUMEN_GUARDED_BY(mutex_);
  std::mt19937_64 random_ LUMEN_GUARDED_BY(mutex_);
};

// Tokens of a text as the simulator counts them: about four characters each, at least one.
std::int64_t count_tokens(const std::string& text);

}  // namespace modelsim
