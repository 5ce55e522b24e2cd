// UpstreamClient: calls the AI models' HTTP API (apps/modelsim, or a real provider with the same
// shape) over a bounded pool of keep-alive connections.
//
// One input goes to POST {base}/v1/generate?model=M with {"input": ...}; several go to
// POST {base}/v1/batch?model=M with {"inputs": [...]} and come back in order. Each call is a client
// span "ai.upstream.call" (ai.model, ai.batch_size, http.response.status_code) whose context is
// sent in the headers of options.propagator (traceparent by default), so the model's side joins
// the trace. A non-200 answer, a timeout or a refused connection throws UpstreamError; a pool that
// stays dry throws it with status 503.
// Thread-safety: call() may be used from any number of threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "lumen/trace/propagator.hpp"

namespace lumen::trace {
class Tracer;
}
namespace lumen::metrics {
class Meter;
}

namespace beautifyai {

struct ModelAnswer {
  std::string output;
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
};

class UpstreamError : public std::runtime_error {
 public:
  UpstreamError(int status, std::chrono::seconds retry_after, const std::string& message)
      : std::runtime_error(message), status_(status), retry_after_(retry_after) {}
  // The HTTP status, or 0 when no answer came (timeout, refused connection).
  [[nodiscard]] int status() const noexcept { return status_; }
  [[nodiscard]] std::chrono::seconds retry_after() const noexcept { return retry_after_; }

 private:
  int status_;
  std::chrono::seconds retry_after_;
};

struct UpstreamOptions {
  std::string base_url = "http://127.0.0.1:8700";
  std::size_t connections = 8;  // at once, across all models: the upstream's concurrency budget
  std::chrono::milliseconds acquire_timeout = std::chrono::seconds(10);
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(1);
  std::chrono::milliseconds request_timeout = std::chrono::seconds(15);
  const lumen::trace::Tracer* tracer = nullptr;
  lumen::metrics::Meter* meter = nullptr;     // pool metrics (lumen.pool.*, pool=upstream)
  lumen::propagation::Propagator propagator;  // the gateway's: the Runtime's (OTEL_PROPAGATORS)
};

struct UpstreamStats {
  std::uint64_t calls = 0;       // HTTP calls made
  std::uint64_t inputs = 0;      // documents sent across them
  std::uint64_t bytes_sent = 0;  // request bodies
  std::uint64_t failures = 0;
};

class UpstreamClient {
 public:
  explicit UpstreamClient(UpstreamOptions options);
  ~UpstreamClient();
  UpstreamClient(const UpstreamClient&) = delete;
  UpstreamClient& operator=(const UpstreamClient&) = delete;

  // A connection of the pool, held from reserve() until the Reservation is destroyed, for the
  // calls made with it. A micro-batch reserves one before it is sealed, and keeps growing while
  // it waits for it.
  class Reservation {
   public:
    Reservation(Reservation&&) noexcept;
    Reservation& operator=(Reservation&&) noexcept;
    ~Reservation();

   private:
    friend class UpstreamClient;
    struct Held;
    explicit Reservation(std::unique_ptr<Held> held);
    std::unique_ptr<Held> held_;
  };

  // Waits for a free connection; throws UpstreamError 503 when none frees up in acquire_timeout.
  [[nodiscard]] Reservation reserve();

  // One answer per input, in order, on a connection of the pool. Throws UpstreamError.
  [[nodiscard]] std::vector<ModelAnswer> call(const std::string& model,
                                              const std::vector<std::string>& inputs);
  // The same on a connection reserved before.
  [[nodiscard]] std::vector<ModelAnswer> call(Reservation& connection, const std::string& model,
                                              const std::vector<std::string>& inputs);

  [[nodiscard]] UpstreamStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace beautifyai
