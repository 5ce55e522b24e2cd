// The gateway's state and the pieces its files share. Private to the gateway: gateway.cpp runs
// the document pipeline (parse, queue, cache or coalesce, optimize images, call the model, answer),
// gateway_stream.cpp the /v1/stream WebSocket, gateway_control.cpp the /control routes.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "document_request.hpp"
#include "gateway.hpp"
#include "job_store.hpp"
#include "lumen/core/context.hpp"
#include "lumen/perf/redis_cache.hpp"
#include "lumen/perf/redis_client.hpp"
#include "lumen/perf/request_coalescer.hpp"
#include "lumen/trace/tracer.hpp"
#include "worker_pool.hpp"

namespace beautifyai::detail {

using json = nlohmann::json;
using lumen::admin::AdminRequest;
using lumen::admin::AdminResponder;
using lumen::admin::AdminResponse;
using Clock = std::chrono::steady_clock;

// A request the client got wrong, found while processing it (a corrupt image: 422).
class ClientError : public std::runtime_error {
 public:
  ClientError(int status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  [[nodiscard]] int status() const noexcept { return status_; }

 private:
  int status_;
};

// Images of other requests hold the image memory budget now: 503, retry later.
class ImageMemoryBusy : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

AdminResponse json_answer(int status, const json& body);
// body.dump() that cannot throw.
std::string safe_dump(const json& body);
json error_body(std::string_view code, std::string_view message);
// How a cached answer is stored in the shared (Redis) cache.
lumen::perf::ValueCodec<RoutedAnswer> answer_codec();
// User plus system CPU time of this process.
double process_cpu_seconds();

// One document request on its way through the queue and the pipeline.
struct Job {
  std::string operation;  // "analyze" or "enhance"
  DocumentRequest request;
  lumen::trace::Span span;  // the server span, ended when the answer is known
  lumen::Context context;   // with that span, current while the job runs
  AdminResponder respond;   // empty for an asynchronous job
  std::string job_id;       // asynchronous jobs only
  std::string key;          // in the result cache; set once the request is admitted
  Clock::time_point received;
  // The same moment on the spans' clock: the server span starts there, and ends there plus the
  // latency measured on `received`'s clock, so the span reads no clock of its own.
  std::uint64_t received_wall_ns = 0;
  std::uint64_t enqueued_wall_ns = 0;
};

}  // namespace beautifyai::detail

namespace beautifyai {

struct Gateway::Impl {
  using Job = detail::Job;
  using json = detail::json;
  using AdminRequest = detail::AdminRequest;
  using AdminResponder = detail::AdminResponder;
  using AdminResponse = detail::AdminResponse;

  Impl(lumen::Runtime& rt, GatewayOptions o, std::shared_ptr<SwitchableSampler> s)
      : runtime(rt),
        options(std::move(o)),
        sampler(std::move(s)),
        tracer(rt.tracer(lumen::beautifyai::kServiceName)),
        logger(rt.logger()),
        meter(rt.meter(lumen::beautifyai::kServiceName)),
        ai(meter),
        upstream(with_instrumentation(options.upstream, tracer, meter, rt.propagator())),
        router(upstream, options.router, ai, logger),
        image_budget({.capacity_bytes = options.image_memory_budget, .meter = &meter}),
        images({.tracer = &tracer, .meter = &meter, .memory_budget = &image_budget}),
        redis(options.redis_url.empty()
                  ? nullptr
                  : std::make_unique<lumen::perf::RedisClient>(lumen::perf::RedisOptions{
                        .url = options.redis_url, .tracer = &tracer, .meter = &meter})),
        shared_cache(
            redis ? std::make_unique<lumen::perf::RedisResultCache>(*redis, "beautifyai:result:")
                  : nullptr),
        cache({.name = "analyze",
               .ttl = options.cache_ttl,
               .max_entries = options.cache_entries,
               .meter = &meter,
               .tracer = &tracer,
               .shared_cache = shared_cache.get()},
              detail::answer_codec()),
        http_requests(meter.create_counter<std::int64_t>(
            "gateway_requests", {.description = "Requests answered, by route and status"})),
        http_duration(meter.create_histogram(
            "gateway_request_duration",
            {.description = "Time from receipt to answer, by route and user tier", .unit = "s"})),
        image_bytes(meter.create_counter<std::int64_t>(
            "gateway_image",
            {.description = "Image bytes received and sent upstream (stage=in|out)",
             .unit = "By"})),
        workers(options.workers, options.queue_capacity) {
    set_optimizations(options.optimizations);
    queue_gauge = meter.create_observable_gauge(
        "gateway_queue_depth",
        [this](lumen::metrics::ObserverResult& r) {
          const WorkerPoolStats now = workers.stats();
          r.observe(static_cast<std::int64_t>(now.depth), {{"state", "queued"}});
          r.observe(static_cast<std::int64_t>(now.busy), {{"state", "running"}});
        },
        {.description = "Jobs waiting and running"});
  }

  static UpstreamOptions with_instrumentation(UpstreamOptions o, const lumen::trace::Tracer& t,
                                              lumen::metrics::Meter& m,
                                              const lumen::propagation::Propagator& p) {
    o.tracer = &t;
    o.meter = &m;
    o.propagator = p;
    return o;
  }

  void set_optimizations(const Optimizations& o) {
    coalescing.store(o.coalescing);
    images_on.store(o.images);
    router.set_batching(o.batching);
    if (sampler) sampler->set_enabled(o.tracing);
  }

  // Bodies up to this size are parsed on the I/O thread (see handle_document).
  static constexpr std::size_t kInlineBodyBytes = std::size_t{16} * 1024;

  void handle_document(const std::string& operation, AdminRequest request, AdminResponder respond);
  void submit(const std::shared_ptr<Job>& job, std::function<void()> task);
  [[nodiscard]] std::variant<DocumentRequest, std::string> parse(const AdminRequest& request) const;
  bool admit(Job& job, std::variant<DocumentRequest, std::string> parsed);
  static std::string cache_key(const std::string& operation, const DocumentRequest& doc);
  bool answer_if_cached(Job& job);
  void process(Job& job);
  void answer_with(Job& job, const RoutedAnswer& answer, lumen::perf::CoalesceOutcome outcome,
                   bool dedupe);
  RoutedAnswer produce(const Job& job);
  void finish(Job& job, int status, const json& body, std::chrono::seconds retry_after = {});
  AdminResponse job_status(const AdminRequest& request);
  void stream_open(const lumen::admin::WebSocketChannel& channel, const AdminRequest& request);
  void stream_message(const lumen::admin::WebSocketChannel& channel, const std::string& text);
  void stream_close(const lumen::admin::WebSocketChannel& channel);
  void follow(const lumen::admin::WebSocketChannel& channel, const std::string& job_id);
  AdminResponse control_stats();
  AdminResponse control_optimizations(const AdminRequest& request);

  lumen::Runtime& runtime;
  const GatewayOptions options;
  std::shared_ptr<SwitchableSampler> sampler;
  lumen::trace::Tracer& tracer;
  lumen::log::Logger logger;
  lumen::metrics::Meter& meter;
  lumen::beautifyai::Metrics ai;
  UpstreamClient upstream;
  ModelRouter router;
  lumen::image::MemoryBudget image_budget;
  lumen::image::ImageOptimizer images;
  std::unique_ptr<lumen::perf::RedisClient> redis;  // REDIS_URL: results shared between instances
  std::unique_ptr<lumen::perf::RedisResultCache> shared_cache;
  lumen::perf::RequestCoalescer<RoutedAnswer> cache;
  JobStore jobs;
  lumen::metrics::Counter<std::int64_t> http_requests;
  lumen::metrics::Histogram http_duration;
  lumen::metrics::Counter<std::int64_t> image_bytes;
  lumen::metrics::ObservableRegistration queue_gauge;

  std::atomic<bool> coalescing{true};
  std::atomic<bool> images_on{true};
  std::atomic<std::uint64_t> answered{0};
  std::atomic<std::uint64_t> bytes_in{0};
  std::atomic<std::uint64_t> bytes_out{0};
  std::atomic<std::uint64_t> served_without_model{0};
  std::atomic<std::uint64_t> rejected{0};
  std::atomic<std::uint64_t> submitted{0};  // jobs handed to the worker pool

  // Last: destroyed (stopped) first, while everything its jobs use still exists.
  WorkerPool workers;
};

}  // namespace beautifyai
