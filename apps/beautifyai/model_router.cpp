#include "model_router.hpp"

#include <chrono>
#include <exception>
#include <optional>

#include "lumen/beautifyai/model_catalog.hpp"
#include "utf8.hpp"

namespace beautifyai {

std::vector<ModelInfo> default_models() {
  std::vector<ModelInfo> models;
  for (const lumen::beautifyai::ModelCapabilities& model : lumen::beautifyai::model_catalog()) {
    models.push_back({model.name, model.batch_endpoint});
  }
  return models;
}

namespace {

// Whether a failed call says something about the model (its breaker counts it) rather than about
// what was sent to it or how busy it is: no answer at all (status 0: refused, reset, timed out), or
// a server error. A 4xx, 429 included, is not the model being broken.
bool is_model_fault(const UpstreamError& e) {
  return e.status() == 0 || e.status() >= 500;
}

void check_input(const std::string& input) {
  if (!is_utf8(input)) throw InvalidModelInput("the input is not valid UTF-8");
}

// An error object of a batch member's own, message included. Members rethrow their error and drop
// it on their own threads; one object shared by the whole batch is freed by whichever member lets
// go last, ordered only by reference counts inside libstdc++, which ThreadSanitizer cannot see
// (copying the error would still share its copy-on-write message).
std::exception_ptr own_error(const UpstreamError& e) {
  return std::make_exception_ptr(UpstreamError(e.status(), e.retry_after(), std::string(e.what())));
}

}  // namespace

struct ModelRouter::Model {
  // One member's answer in a micro-batch, or why that member alone failed.
  struct Reply {
    ModelAnswer answer;
    std::exception_ptr error;
  };

  // The connection a batch reserved, or why it got none. A failed reservation reaches the bulk
  // call instead of being thrown from acquire, so that each member gets an error of its own.
  struct Connection {
    std::optional<UpstreamClient::Reservation> reservation;
    std::optional<UpstreamError> failure;
  };

  Model(const ModelInfo& info, const BreakerOptions& breaker_options, UpstreamClient& upstream,
        const lumen::perf::MicroBatcherOptions& batch_options)
      : name(info.name),
        batch_endpoint(info.batch_endpoint),
        breaker(breaker_options),
        // The batch reserves its connection before it is sealed: while every connection is busy
        // it keeps filling, so the batches grow with the load instead of queueing.
        batcher(
            [&upstream] {
              Connection connection;
              try {
                connection.reservation.emplace(upstream.reserve());
              } catch (const UpstreamError& e) {
                connection.failure.emplace(e);
              }
              return connection;
            },
            [this, &upstream](Connection& connection, std::vector<std::string>& inputs) {
              return call_batch(upstream, connection, inputs);
            },
            batch_options) {}

  // One upstream call, whose outcome the breaker counts once however many members it carries: a
  // batch of 16 that fails is one failed call, not 16 (counting members let a single 500 open the
  // breaker and send the whole load to slower models for its pause). On `connection` when given.
  std::vector<ModelAnswer> call_upstream(UpstreamClient& upstream,
                                         UpstreamClient::Reservation* connection,
                                         const std::vector<std::string>& inputs) {
    try {
      std::vector<ModelAnswer> answers = connection != nullptr
                                             ? upstream.call(*connection, name, inputs)
                                             : upstream.call(name, inputs);
      breaker.record(true);
      return answers;
    } catch (const UpstreamError& e) {
      if (is_model_fault(e)) breaker.record(false);
      throw;
    }
  }

  // A member that cannot be sent fails on its own, and an upstream refusal of the whole batch (a
  // 4xx other than 429: something in it was not acceptable) is retried member by member, so that
  // one bad member never fails its neighbours. A model fault still fails the whole batch, each
  // member with an error object of its own (own_error).
  std::vector<Reply> call_batch(UpstreamClient& upstream, Connection& connection,
                                const std::vector<std::string>& inputs) {
    std::vector<Reply> replies(inputs.size());
    std::vector<std::string> sendable;
    std::vector<std::size_t> positions;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      try {
        check_input(inputs[i]);
        sendable.push_back(inputs[i]);
        positions.push_back(i);
      } catch (const InvalidModelInput&) {
        replies[i].error = std::current_exception();
      }
    }
    if (sendable.empty()) return replies;
    const auto fail_each = [&](const UpstreamError& e) {
      for (const std::size_t position : positions) replies[position].error = own_error(e);
    };
    if (connection.failure) {
      fail_each(*connection.failure);
      return replies;
    }
    UpstreamClient::Reservation& reserved = *connection.reservation;
    try {
      std::vector<ModelAnswer> answers = call_upstream(upstream, &reserved, sendable);
      for (std::size_t k = 0; k < answers.size(); ++k)
        replies[positions[k]].answer = std::move(answers[k]);
    } catch (const UpstreamError& e) {
      if (sendable.size() == 1 || is_model_fault(e) || e.status() == 429) {
        fail_each(e);
        return replies;
      }
      for (std::size_t k = 0; k < sendable.size(); ++k) {
        try {
          replies[positions[k]].answer = call_upstream(upstream, &reserved, {sendable[k]}).at(0);
        } catch (const UpstreamError&) {
          replies[positions[k]].error = std::current_exception();
        }
      }
    }
    return replies;
  }

  const std::string name;
  const bool batch_endpoint;
  CircuitBreaker breaker;
  lumen::perf::MicroBatcher<std::string, Reply> batcher;
};

ModelRouter::ModelRouter(UpstreamClient& upstream, const RouterOptions& options,
                         lumen::beautifyai::Metrics& ai, lumen::log::Logger logger)
    : upstream_(upstream), ai_(ai), logger_(std::move(logger)) {
  for (const ModelInfo& info : options.models) {
    models_.push_back(std::make_unique<Model>(info, options.breaker, upstream, options.batch));
  }
  // Read at each collection, not pushed after each call: an open breaker turns half-open when its
  // pause ends, and no call may come to report it.
  for (const auto& m : models_) {
    ai_.set_circuit_state_source(m->name, [breaker = &m->breaker] {
      using lumen::beautifyai::CircuitState;
      switch (breaker->state()) {
        case BreakerState::kClosed:
          return CircuitState::kClosed;
        case BreakerState::kHalfOpen:
          return CircuitState::kHalfOpen;
        case BreakerState::kOpen:
          return CircuitState::kOpen;
      }
      return CircuitState::kClosed;
    });
  }
}

ModelRouter::~ModelRouter() {
  for (const auto& m : models_) ai_.set_circuit_state_source(m->name, {});
}

bool ModelRouter::knows(const std::string& model) const {
  for (const auto& m : models_) {
    if (m->name == model) return true;
  }
  return false;
}

ModelAnswer ModelRouter::call_model(Model& model, std::string input) {
  if (model.batch_endpoint && batching()) {
    Model::Reply reply = model.batcher.submit(std::move(input));
    if (reply.error) std::rethrow_exception(reply.error);
    return std::move(reply.answer);
  }
  check_input(input);
  return model.call_upstream(upstream_, nullptr, {std::move(input)}).at(0);
}

RoutedAnswer ModelRouter::run(const std::string& preferred, const std::string& input) {
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
    if (!allowed) continue;
    ++attempts;
    const auto start = std::chrono::steady_clock::now();
    try {
      ModelAnswer answer = call_model(*model, input);
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count();
      ai_.record_ai_request(model->name, true, ms, answer.input_tokens + answer.output_tokens);
      ai_.record_ai_tokens(model->name, answer.input_tokens, answer.output_tokens);
      return {std::move(answer), model->name, attempts};
    } catch (const InvalidModelInput&) {
      // The input, not the model: no other model would take it either.
      model->breaker.release();
      throw;
    } catch (const std::exception& e) {
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count();
      const auto* upstream = dynamic_cast<const UpstreamError*>(&e);
      const bool timed_out = dynamic_cast<const lumen::perf::MicroBatchTimeout*>(&e) != nullptr;
      if (upstream == nullptr && !timed_out) {
        // Neither an answer from the model nor a missing one: a fault of ours, not the model's.
        model->breaker.release();
        throw;
      }
      // A model fault was counted by the call that met it (call_upstream); a member that gave up
      // waiting for its batch, or found no free connection, says nothing of the model. release()
      // only hands back a half-open breaker's probe that no call reported on.
      model->breaker.release();
      ai_.record_ai_request(model->name, false, ms);
      int status = 504;
      std::string type = "batch_timeout";
      if (upstream != nullptr) {
        status = upstream->status() == 0 ? 504 : upstream->status();
        type = upstream->status() == 429 ? "rate_limited"
               : upstream->status() == 0 ? "upstream_unreachable"
                                         : "upstream_" + std::to_string(upstream->status());
      }
      ai_.record_error(type, model->name);
      logger_.warn(
          "AI request failed",
          {{"model", model->name}, {"error", e.what()}, {"duration_ms", ms}, {"fallback", true}});
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
