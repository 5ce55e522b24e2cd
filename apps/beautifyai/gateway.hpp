// Gateway: the BeautifyAI service. Takes documents (with optional images), sends them to AI models
// and answers with the result, using every lumen lever on the way:
//
//   HTTP handler (server span, traceparent honoured)
//     -> bounded job queue (503 + Retry-After when full; queue time recorded)
//     -> image optimizer (each image re-encoded small before it goes upstream; corrupt: 422)
//     -> request coalescer with a TTL cache (identical requests share one model call), backed by
//        Redis when redis_url is set
//     -> model router (circuit breaker per model, fallback to the next model)
//     -> micro-batcher for models with a batch endpoint -> pooled upstream connections
//
// Public routes (mount(), on the API server): POST /v1/analyze, POST /v1/enhance,
// GET /v1/jobs/{id}, the WebSocket /v1/stream (submit jobs and follow their progress).
// Operator routes (mount_control(), on the admin endpoint, METRICS_PORT, never on the public port:
// whoever reaches them can switch the service's optimizations and tracing off): GET /control/stats,
// POST /control/optimizations (turn coalescing, batching, image optimization and tracing off and
// on: what `loadgen --compare` measures).
// Thread-safety: the routes run concurrently; set_optimizations may be called at any time.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "lumen/admin/admin_server.hpp"
#include "lumen/image/image_optimizer.hpp"
#include "lumen/image/memory_budget.hpp"
#include "lumen/runtime.hpp"
#include "model_router.hpp"
#include "switchable_sampler.hpp"
#include "upstream_client.hpp"

namespace beautifyai {

struct Optimizations {
  bool coalescing = true;  // single-flight and the result cache
  bool batching = true;    // micro-batching for models with a batch endpoint
  bool images = true;      // re-encode images before they go upstream
  bool tracing = true;     // sample spans (off: every span is dropped at start)
};

struct GatewayOptions {
  UpstreamOptions upstream;
  RouterOptions router;
  std::size_t workers = 128;  // requests in progress at once (each may wait on a model)
  std::size_t queue_capacity = 1000;
  std::chrono::seconds cache_ttl{300};
  std::size_t cache_entries = 10'000;
  lumen::image::OptimizeOptions image{
      .max_width = 1024, .max_height = 1024, .quality = 80, .format = lumen::image::Format::kWebp};
  std::size_t max_images = 8;
  // Decoded image bytes processed at once (lumen/image/memory_budget.hpp): an image that does not
  // fit now is answered 503 + Retry-After, one larger than the whole budget 413.
  std::uint64_t image_memory_budget = std::uint64_t{512} << 20;
  // A redis:// URL: results are also cached in Redis and shared by every gateway instance using
  // it (a Redis outage degrades to the in-process cache, counted). Empty: in-process only.
  std::string redis_url;
  Optimizations optimizations;
};

struct GatewayStats {
  std::uint64_t requests = 0;  // answered, any status
  std::uint64_t upstream_calls = 0;
  std::uint64_t upstream_inputs = 0;
  std::uint64_t upstream_bytes = 0;
  std::uint64_t image_bytes_in = 0;
  std::uint64_t image_bytes_out = 0;  // what went upstream instead
  std::uint64_t cache_hits = 0;       // answered without calling a model (cache or coalesced)
  std::uint64_t rejected = 0;         // 503: queue full
  double cpu_seconds = 0;             // of the whole process
};

class Gateway {
 public:
  // `sampler` is the one the runtime's tracer provider uses (tracing on/off); may be null.
  Gateway(lumen::Runtime& runtime, GatewayOptions options,
          std::shared_ptr<SwitchableSampler> sampler = nullptr);
  ~Gateway();  // stop()
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // The public routes; the server should be a different one from mount_control()'s.
  void mount(lumen::admin::AdminServer& server);
  // The /control/* routes, on the operator's endpoint (the runtime's admin server).
  void mount_control(lumen::admin::AdminServer& admin);
  // Finishes the queued work (each request is answered) and stops the workers.
  void stop();

  void set_optimizations(const Optimizations& optimizations);
  [[nodiscard]] Optimizations optimizations() const;
  [[nodiscard]] GatewayStats stats() const;
  // What the images being optimized hold of options.image_memory_budget.
  [[nodiscard]] lumen::image::MemoryBudget& image_memory_budget();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace beautifyai
