#include "gateway.hpp"

#include <sys/resource.h>

#include <nlohmann/json.hpp>

#include "base64.hpp"
#include "document_request.hpp"
#include "job_store.hpp"
#include "lumen/core/clock.hpp"
#include "lumen/core/context.hpp"
#include "lumen/perf/key.hpp"
#include "lumen/perf/redis_cache.hpp"
#include "lumen/perf/redis_client.hpp"
#include "lumen/perf/request_coalescer.hpp"
#include "lumen/trace/propagation.hpp"
#include "lumen/trace/tracer.hpp"
#include "worker_pool.hpp"

namespace beautifyai {
namespace {

using json = nlohmann::json;
using lumen::admin::AdminRequest;
using lumen::admin::AdminResponder;
using lumen::admin::AdminResponse;
using Clock = std::chrono::steady_clock;

// A request the client got wrong, found while processing it (a corrupt image: 422).
class ClientError : public std::runtime_error {
 public:
  ClientError(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  [[nodiscard]] int status() const noexcept { return status_; }

 private:
  int status_;
};

AdminResponse json_answer(int status, const json& body) {
  return {.status = static_cast<unsigned>(status), .content_type = "application/json",
          .body = body.dump()};
}

json error_body(std::string_view code, std::string_view message) {
  return {{"error", {{"code", code}, {"message", message}}}};
}

std::string_view error_code(int status) {
  switch (status) {
    case 400: return "bad_request";
    case 404: return "not_found";
    case 413: return "too_large";
    case 422: return "unprocessable_image";
    case 429: return "rate_limited";
    case 503: return "overloaded";
    case 504: return "timeout";
    default: return status >= 500 ? "upstream_failed" : "error";
  }
}

// How a cached answer is stored in the shared (Redis) cache.
lumen::perf::ValueCodec<RoutedAnswer> answer_codec() {
  return {[](const RoutedAnswer& a) {
            return json{{"model", a.model}, {"output", a.answer.output}, {"input_tokens", a.answer.input_tokens},
                        {"output_tokens", a.answer.output_tokens}, {"attempts", a.attempts}}.dump();
          },
          [](std::string_view bytes) -> std::optional<RoutedAnswer> {
            const json j = json::parse(bytes, nullptr, false);
            if (!j.is_object() || !j.contains("model") || !j["model"].is_string() || !j.contains("output") ||
                !j["output"].is_string()) {
              return std::nullopt;
            }
            return RoutedAnswer{{j["output"].get<std::string>(), j.value("input_tokens", std::int64_t{0}),
                                 j.value("output_tokens", std::int64_t{0})},
                                j["model"].get<std::string>(), j.value("attempts", 1)};
          }};
}

// What /v1/stream pushes about a job: {"type":"progress"|"result", "job_id", "status", "stage",
// and once finished "http_status" and "result" (the body a synchronous request would have got).
std::string progress_message(const std::string& id, const JobState& state) {
  const bool finished = state.status == JobStatus::kDone || state.status == JobStatus::kFailed;
  json message{{"type", finished ? "result" : "progress"}, {"job_id", id}, {"status", to_string(state.status)},
               {"stage", state.stage}};
  if (finished) {
    message["http_status"] = state.http_status;
    message["result"] = json::parse(state.result, nullptr, false);
  }
  return message.dump();
}

std::string stream_error(std::string_view code, std::string_view message) {
  json body = error_body(code, message);
  body["type"] = "error";
  return body.dump();
}

double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// One document request on its way through the queue and the pipeline.
struct Job {
  std::string operation;  // "analyze" or "enhance"
  DocumentRequest request;
  lumen::trace::Span span;  // the server span, ended when the answer is known
  lumen::Context context;   // with that span, current while the job runs
  AdminResponder respond;   // empty for an asynchronous job
  std::string job_id;       // asynchronous jobs only
  Clock::time_point received;
  std::uint64_t enqueued_wall_ns = 0;
};

}  // namespace

struct Gateway::Impl {
  Impl(lumen::Runtime& rt, GatewayOptions o, std::shared_ptr<SwitchableSampler> s)
      : runtime(rt),
        options(std::move(o)),
        sampler(std::move(s)),
        tracer(rt.tracer("beautifyai")),
        logger(rt.logger()),
        meter(rt.meter("beautifyai")),
        ai(meter),
        upstream(with_instrumentation(options.upstream, tracer, meter)),
        router(upstream, options.router, ai, logger),
        images({.tracer = &tracer, .meter = &meter}),
        redis(options.redis_url.empty()
                  ? nullptr
                  : std::make_unique<lumen::perf::RedisClient>(lumen::perf::RedisOptions{
                        .url = options.redis_url, .tracer = &tracer, .meter = &meter})),
        shared_cache(redis ? std::make_unique<lumen::perf::RedisResultCache>(*redis, "beautifyai:result:")
                           : nullptr),
        cache({.name = "analyze", .ttl = options.cache_ttl, .max_entries = options.cache_entries,
               .meter = &meter, .tracer = &tracer, .shared_cache = shared_cache.get()},
              answer_codec()),
        http_requests(meter.create_counter<std::int64_t>(
            "gateway_requests", {.description = "Requests answered, by route and status"})),
        http_duration(meter.create_histogram(
            "gateway_request_duration", {.description = "Time from receipt to answer, by route and user tier",
                                         .unit = "s"})),
        image_bytes(meter.create_counter<std::int64_t>(
            "gateway_image", {.description = "Image bytes received and sent upstream (stage=in|out)",
                              .unit = "By"})),
        workers(options.workers, options.queue_capacity) {
    set_optimizations(options.optimizations);
    queue_gauge = meter.create_observable_gauge("gateway_queue_depth", [this](lumen::metrics::ObserverResult& r) {
      const WorkerPoolStats now = workers.stats();
      r.observe(static_cast<std::int64_t>(now.depth), {{"state", "queued"}});
      r.observe(static_cast<std::int64_t>(now.busy), {{"state", "running"}});
    }, {.description = "Jobs waiting and running"});
  }

  static UpstreamOptions with_instrumentation(UpstreamOptions o, const lumen::trace::Tracer& t,
                                              lumen::metrics::Meter& m) {
    o.tracer = &t;
    o.meter = &m;
    return o;
  }

  void set_optimizations(const Optimizations& o) {
    coalescing.store(o.coalescing);
    images_on.store(o.images);
    router.set_batching(o.batching);
    if (sampler) sampler->set_enabled(o.tracing);
  }

  void handle_document(const std::string& operation, AdminRequest request, AdminResponder respond);
  void process(Job& job);
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
  lumen::metrics::BeautifyAiMetrics ai;
  UpstreamClient upstream;
  ModelRouter router;
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

  // Last: destroyed (stopped) first, while everything its jobs use still exists.
  WorkerPool workers;
};

void Gateway::Impl::handle_document(const std::string& operation, AdminRequest request,
                                    AdminResponder respond) {
  auto job = std::make_shared<Job>();
  job->operation = operation;
  job->received = Clock::now();
  const lumen::Context remote = lumen::propagation::extract(request.headers);
  lumen::trace::StartOptions start{.kind = lumen::trace::SpanKind::kServer, .parent = remote};
  job->span = tracer.start("POST /v1/" + operation, start);
  job->span.set("http.request.method", "POST").set("http.route", "/v1/" + operation);
  {
    auto scope = job->span.activate();
    job->context = lumen::Context::current();
  }
  job->respond = std::move(respond);
  ai.record_request_size(static_cast<std::int64_t>(request.body.size()));

  auto parsed = parse_document_request(request.header("content-type"), request.body,
                                       {.max_images = options.max_images});
  if (auto* problem = std::get_if<std::string>(&parsed)) {
    ai.record_error("bad_request", "none");
    return finish(*job, 400, error_body("bad_request", *problem));
  }
  job->request = std::move(std::get<DocumentRequest>(parsed));
  const DocumentRequest& doc = job->request;
  if (!doc.model.empty() && !router.knows(doc.model)) {
    ai.record_error("bad_request", "none");
    return finish(*job, 400, error_body("bad_request", "unknown model '" + doc.model + "'"));
  }
  job->span.set("user.tier", doc.tier).set("ai.images", static_cast<std::int64_t>(doc.images.size()));
  // An asynchronous job is answered now (202); its result goes to the job store. The responder
  // leaves the job before a worker can see it.
  AdminResponder accepted;
  const bool async = doc.async;
  if (async) {
    job->job_id = jobs.create();
    accepted = std::move(job->respond);
    job->respond = nullptr;
  }
  const std::string job_id = job->job_id;
  job->enqueued_wall_ns = lumen::wall_clock_ns();
  const bool queued = workers.try_submit([this, job] { process(*job); });
  if (!queued) {
    rejected.fetch_add(1);
    ai.record_error("overload", "none");
    if (async) job->respond = std::move(accepted);  // the 503 goes to the client, not to a job
    return finish(*job, 503, error_body("overloaded", "the job queue is full; retry soon"),
                  std::chrono::seconds(1));
  }
  // From here on the job belongs to a worker: only copies taken above are read.
  ai.set_queue_depth(static_cast<std::int64_t>(workers.stats().depth));
  if (async) accepted(json_answer(202, {{"job_id", job_id}, {"status_url", "/v1/jobs/" + job_id}}));
}

void Gateway::Impl::process(Job& job) {
  auto scope = job.context.activate();
  const double queued_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - job.received).count();
  ai.record_queue_processing(queued_ms);
  ai.set_queue_depth(static_cast<std::int64_t>(workers.stats().depth));
  tracer.start("gateway.queue", {.start_ns = job.enqueued_wall_ns}).end();
  if (!job.job_id.empty()) jobs.set_running(job.job_id, "started");

  const DocumentRequest& doc = job.request;
  lumen::perf::KeyHasher key_hash;
  key_hash.add(job.operation);
  key_hash.add(doc.model);
  key_hash.add(doc.document);
  for (const auto& image : doc.images) {
    key_hash.add(std::string_view(reinterpret_cast<const char*>(image.data()), image.size()));
  }
  const std::string key = lumen::perf::format_key(job.operation, key_hash.value());

  try {
    bool executed = false;
    auto run = [&] {
      executed = true;
      return produce(job);
    };
    const bool dedupe = coalescing.load();
    const auto asked = Clock::now();
    RoutedAnswer answer = dedupe ? cache.get(key, run) : run();
    const std::string_view cache_type = job.operation == "analyze" ? "document" : "enhancement";
    if (dedupe) ai.record_cache_lookup(cache_type, !executed);
    if (!executed) {
      served_without_model.fetch_add(1);
      // A cache hit answers in microseconds; a caller that shared another's model call waited for
      // it, which takes at least a model round trip (milliseconds).
      const bool waited = Clock::now() - asked > std::chrono::milliseconds(1);
      ai.record_ai_call_avoided(answer.model, waited ? lumen::metrics::AvoidedReason::kCoalesced
                                                     : lumen::metrics::AvoidedReason::kCache);
      ai.record_cache_bytes_saved(cache_type, static_cast<std::int64_t>(answer.answer.output.size()));
    }
    job.span.set("gateway.cached", !executed).set("ai.model", answer.model);
    finish(job, 200,
           {{"model", answer.model}, {"output", answer.answer.output},
            {"input_tokens", answer.answer.input_tokens}, {"output_tokens", answer.answer.output_tokens},
            {"cached", !executed}, {"attempts", answer.attempts},
            {"trace_id", job.span.context().trace_id().to_hex()}});
  } catch (const ClientError& e) {
    ai.record_error("bad_image", "none");
    finish(job, e.status(), error_body(error_code(e.status()), e.what()));
  } catch (const NoModelAvailable& e) {
    finish(job, e.status() == 429 ? 429 : 503, error_body(error_code(e.status()), e.what()),
           std::chrono::seconds(1));
  } catch (const lumen::perf::CoalescerTimeout& e) {
    ai.record_error("timeout", "none");
    finish(job, 504, error_body("timeout", e.what()));
  } catch (const std::exception& e) {
    ai.record_error("internal", "none");
    finish(job, 500, error_body("internal", e.what()));
  }
}

// The work behind one cache miss: the images made small, then the model call.
RoutedAnswer Gateway::Impl::produce(const Job& job) {
  const DocumentRequest& doc = job.request;
  std::string input = job.operation + ": " + doc.document;
  const auto progress = [&](const char* stage) {
    if (!job.job_id.empty()) jobs.set_running(job.job_id, stage);
  };
  if (!doc.images.empty()) progress("optimizing_images");
  for (std::size_t i = 0; i < doc.images.size(); ++i) {
    const auto& original = doc.images[i];
    bytes_in.fetch_add(original.size());
    image_bytes.add(static_cast<std::int64_t>(original.size()), {{"stage", "in"}});
    std::string_view format = "original";
    lumen::image::Bytes optimized;
    if (images_on.load()) {
      auto result = images.optimize_for_analysis(original, options.image);
      if (!result.ok()) throw ClientError(422, "image " + std::to_string(i) + ": " + result.error().message);
      optimized = std::move(result.value().bytes);
      format = lumen::image::to_string(result.value().format);
    } else {
      // Unoptimized images still have to be images: a header check, no decode.
      auto metadata = images.read_metadata(original);
      if (!metadata.ok()) throw ClientError(422, "image " + std::to_string(i) + ": " + metadata.error().message);
      optimized = original;
    }
    bytes_out.fetch_add(optimized.size());
    image_bytes.add(static_cast<std::int64_t>(optimized.size()), {{"stage", "out"}});
    input += "\n[image/";
    input += format;
    input += ";base64," + apps::base64_encode(optimized) + "]";
  }
  progress("calling_model");
  const std::string preferred = doc.model.empty() ? options.router.models.front().name : doc.model;
  return router.run(preferred, std::move(input));
}

void Gateway::Impl::finish(Job& job, int status, const json& body, std::chrono::seconds retry_after) {
  const double seconds = std::chrono::duration<double>(Clock::now() - job.received).count();
  const std::string route = "/v1/" + job.operation;
  const std::string tier = job.request.tier;
  job.span.set("http.response.status_code", static_cast<std::int64_t>(status));
  if (status >= 500) {
    job.span.set_status(lumen::trace::StatusCode::kError, body["error"].value("message", ""));
  } else if (status < 400) {
    job.span.set_status(lumen::trace::StatusCode::kOk);
  }
  http_requests.add(1, {{"route", route}, {"status", static_cast<std::int64_t>(status)}});
  http_duration.record(seconds, {{"route", route}, {"tier", tier}});
  ai.record_user_request(tier, seconds * 1e3);
  {
    auto scope = job.span.activate();
    const lumen::log::Level level = status >= 500 ? lumen::log::Level::kError
                                    : status >= 400 ? lumen::log::Level::kWarn
                                                    : lumen::log::Level::kInfo;
    logger.log(level, "request completed",
               {{"route", route}, {"status", static_cast<std::int64_t>(status)},
                {"duration_ms", seconds * 1e3}, {"user_id", job.request.user_id}, {"tier", tier}});
  }
  job.span.end();
  answered.fetch_add(1);
  if (!job.job_id.empty()) jobs.finish(job.job_id, status, body.dump());
  if (job.respond) {
    AdminResponse response = json_answer(status, body);
    if (retry_after.count() > 0) response.headers.emplace_back("Retry-After", std::to_string(retry_after.count()));
    AdminResponder respond = std::move(job.respond);
    job.respond = nullptr;
    respond(std::move(response));
  }
}

AdminResponse Gateway::Impl::job_status(const AdminRequest& request) {
  if (request.method != "GET") return json_answer(405, error_body("method_not_allowed", "use GET"));
  const std::string id = request.path.substr(std::string_view("/v1/jobs/").size());
  const auto state = jobs.find(id);
  if (!state) return json_answer(404, error_body("not_found", "no job '" + id + "' (unknown or expired)"));
  json body{{"job_id", id}, {"status", to_string(state->status)}};
  if (state->status == JobStatus::kDone || state->status == JobStatus::kFailed) {
    body["http_status"] = state->http_status;
    body["result"] = json::parse(state->result, nullptr, false);
  }
  return json_answer(200, body);
}

// /v1/stream: a WebSocket that follows jobs. A client opens it (with ?job=ID to follow one at once)
// and sends {"subscribe": ID} to follow a job, or a document request with "operation" ("analyze"
// or "enhance") to submit one: it gets {"type":"accepted","job_id"} and then the job's progress.
// Open streams are what active_connections counts.
void Gateway::Impl::stream_open(const lumen::admin::WebSocketChannel& channel, const AdminRequest& request) {
  ai.add_active_connections(1);
  if (const std::string job = request.query_param("job"); !job.empty()) follow(channel, job);
}

void Gateway::Impl::stream_message(const lumen::admin::WebSocketChannel& channel, const std::string& text) {
  json message = json::parse(text, nullptr, false);
  if (!message.is_object()) {
    channel.send(stream_error("bad_request", "each message must be a JSON object"));
    return;
  }
  if (message.contains("subscribe")) {
    if (!message["subscribe"].is_string()) {
      channel.send(stream_error("bad_request", "\"subscribe\" takes a job id"));
      return;
    }
    return follow(channel, message["subscribe"].get<std::string>());
  }
  const json operation = message.contains("operation") ? message["operation"] : json();
  if (operation != "analyze" && operation != "enhance") {
    channel.send(stream_error("bad_request",
                              R"(expected {"subscribe": job_id} or a document with "operation": "analyze" or "enhance")"));
    return;
  }
  message.erase("operation");
  message["async"] = true;
  AdminRequest request;
  request.method = "POST";
  request.path = "/v1/" + operation.get<std::string>();
  request.headers = {{"Content-Type", "application/json"}};
  request.body = message.dump();
  handle_document(operation.get<std::string>(), std::move(request), [this, channel](AdminResponse answer) {
    json body = json::parse(answer.body, nullptr, false);
    if (answer.status != 202 || !body.is_object()) {
      body["type"] = "error";
      body["http_status"] = answer.status;
      channel.send(body.dump());
      return;
    }
    const std::string id = body["job_id"].get<std::string>();
    channel.send(json{{"type", "accepted"}, {"job_id", id}}.dump());
    follow(channel, id);
  });
}

void Gateway::Impl::follow(const lumen::admin::WebSocketChannel& channel, const std::string& job_id) {
  const Subscribed outcome = jobs.subscribe(job_id, channel.id(), [channel](const std::string& id, const JobState& s) {
    channel.send(progress_message(id, s));
  });
  if (outcome == Subscribed::kUnknownJob) {
    channel.send(stream_error("not_found", "no job '" + job_id + "' (unknown or expired)"));
  } else if (outcome == Subscribed::kTooManyListeners) {
    channel.send(stream_error("overloaded", "too many clients follow jobs; retry soon"));
  }
}

void Gateway::Impl::stream_close(const lumen::admin::WebSocketChannel& channel) {
  jobs.unsubscribe(channel.id());
  ai.add_active_connections(-1);
}

AdminResponse Gateway::Impl::control_stats() {
  const GatewayStats s{answered.load(), upstream.stats().calls, upstream.stats().inputs,
                       upstream.stats().bytes_sent, bytes_in.load(), bytes_out.load(),
                       served_without_model.load(), rejected.load(), process_cpu_seconds()};
  json breakers = json::object();
  for (const auto& [model, b] : router.breakers()) {
    breakers[model] = {{"state", to_string(b.state)}, {"opened", b.opened}, {"rejected", b.rejected},
                       {"last_recovery_ms", b.last_recovery_ms}};
  }
  const auto c = cache.stats();
  const WorkerPoolStats w = workers.stats();
  return json_answer(200, {{"requests", s.requests}, {"upstream_calls", s.upstream_calls},
                           {"upstream_inputs", s.upstream_inputs}, {"upstream_bytes", s.upstream_bytes},
                           {"image_bytes_in", s.image_bytes_in}, {"image_bytes_out", s.image_bytes_out},
                           {"served_without_model", s.cache_hits}, {"rejected", s.rejected},
                           {"cpu_seconds", s.cpu_seconds}, {"batches", router.batches_sent()},
                           {"coalescer", {{"executions", c.executions}, {"coalesced", c.coalesced},
                                          {"hits", c.hits}, {"entries", c.entries}}},
                           {"queue", {{"depth", w.depth}, {"busy", w.busy}, {"rejected", w.rejected}}},
                           {"breakers", breakers}});
}

AdminResponse Gateway::Impl::control_optimizations(const AdminRequest& request) {
  Optimizations o{coalescing.load(), router.batching(), images_on.load(),
                  sampler ? sampler->enabled() : true};
  if (request.method == "POST") {
    const json body = json::parse(request.body, nullptr, false);
    if (!body.is_object()) return json_answer(400, error_body("bad_request", "expected a JSON object"));
    for (auto [name, flag] : {std::pair{"coalescing", &o.coalescing}, std::pair{"batching", &o.batching},
                              std::pair{"images", &o.images}, std::pair{"tracing", &o.tracing}}) {
      if (!body.contains(name)) continue;
      if (!body[name].is_boolean()) {
        return json_answer(400, error_body("bad_request", std::string("\"") + name + "\" must be true or false"));
      }
      *flag = body[name].get<bool>();
    }
    set_optimizations(o);
    if (body.value("clear_cache", false)) cache.invalidate();
  }
  return json_answer(200, {{"coalescing", o.coalescing}, {"batching", o.batching},
                           {"images", o.images}, {"tracing", o.tracing}});
}

Gateway::Gateway(lumen::Runtime& runtime, GatewayOptions options,
                 std::shared_ptr<SwitchableSampler> sampler)
    : impl_(std::make_unique<Impl>(runtime, std::move(options), std::move(sampler))) {}

Gateway::~Gateway() { stop(); }

void Gateway::mount(lumen::admin::AdminServer& server) {
  Impl* impl = impl_.get();
  for (const std::string operation : {"analyze", "enhance"}) {
    server.route_async("/v1/" + operation, [impl, operation](AdminRequest request, AdminResponder respond) {
      if (request.method != "POST") {
        respond(json_answer(405, error_body("method_not_allowed", "use POST")));
        return;
      }
      impl->handle_document(operation, std::move(request), std::move(respond));
    });
  }
  server.route("/v1/jobs/*", [impl](const AdminRequest& r) { return impl->job_status(r); });
  server.route_websocket(
      "/v1/stream",
      {.on_open = [impl](const lumen::admin::WebSocketChannel& c, const AdminRequest& r) { impl->stream_open(c, r); },
       .on_message = [impl](const lumen::admin::WebSocketChannel& c, std::string m) { impl->stream_message(c, m); },
       .on_close = [impl](const lumen::admin::WebSocketChannel& c) { impl->stream_close(c); }});
  server.route("/control/stats", [impl](const AdminRequest&) { return impl->control_stats(); });
  server.route("/control/optimizations", [impl](const AdminRequest& r) { return impl->control_optimizations(r); });
}

void Gateway::stop() { impl_->workers.stop(); }

void Gateway::set_optimizations(const Optimizations& optimizations) {
  impl_->set_optimizations(optimizations);
}

Optimizations Gateway::optimizations() const {
  return {impl_->coalescing.load(), impl_->router.batching(), impl_->images_on.load(),
          impl_->sampler ? impl_->sampler->enabled() : true};
}

GatewayStats Gateway::stats() const {
  const UpstreamStats u = impl_->upstream.stats();
  return {impl_->answered.load(), u.calls, u.inputs, u.bytes_sent, impl_->bytes_in.load(),
          impl_->bytes_out.load(), impl_->served_without_model.load(), impl_->rejected.load(),
          process_cpu_seconds()};
}

}  // namespace beautifyai
