#include "gateway.hpp"

#include "base64.hpp"
#include "gateway_impl.hpp"
#include "lumen/core/clock.hpp"
#include "lumen/perf/key.hpp"
#include "lumen/trace/propagator.hpp"
#include "utf8.hpp"

namespace beautifyai {
namespace detail {

AdminResponse json_answer(int status, const json& body) {
  return {.status = static_cast<unsigned>(status),
          .content_type = "application/json",
          .body = safe_dump(body)};
}

// Client text is validated before it gets into an answer; should some slip through, it is replaced
// (U+FFFD) rather than thrown as the JSON library's exception in place of the answer.
std::string safe_dump(const json& body) {
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

json error_body(std::string_view code, std::string_view message) {
  return {{"error", {{"code", code}, {"message", message}}}};
}

// How a cached answer is stored in the shared (Redis) cache.
lumen::perf::ValueCodec<RoutedAnswer> answer_codec() {
  return {[](const RoutedAnswer& a) {
            return json{{"model", a.model},
                        {"output", a.answer.output},
                        {"input_tokens", a.answer.input_tokens},
                        {"output_tokens", a.answer.output_tokens},
                        {"attempts", a.attempts}}
                .dump();
          },
          [](std::string_view bytes) -> std::optional<RoutedAnswer> {
            const json j = json::parse(bytes, nullptr, false);
            if (!j.is_object() || !j.contains("model") || !j["model"].is_string() ||
                !j.contains("output") || !j["output"].is_string()) {
              return std::nullopt;
            }
            return RoutedAnswer{
                {j["output"].get<std::string>(), j.value("input_tokens", std::int64_t{0}),
                 j.value("output_tokens", std::int64_t{0})},
                j["model"].get<std::string>(),
                j.value("attempts", 1)};
          }};
}

}  // namespace detail

namespace {

using namespace detail;

std::string_view error_code(int status) {
  switch (status) {
    case 400:
      return "bad_request";
    case 404:
      return "not_found";
    case 413:
      return "too_large";
    case 422:
      return "unprocessable_image";
    case 429:
      return "rate_limited";
    case 503:
      return "overloaded";
    case 504:
      return "timeout";
    default:
      return status >= 500 ? "upstream_failed" : "error";
  }
}

// Why the optimizer refused image `index`, as the client's answer.
[[noreturn]] void throw_image_error(std::size_t index, const lumen::image::ImageError& error) {
  const std::string message = "image " + std::to_string(index) + ": " + error.message;
  switch (error.kind) {
    case lumen::image::ImageErrorKind::kBusy:
      throw ImageMemoryBusy(message);
    case lumen::image::ImageErrorKind::kTooLarge:
      throw ClientError(413, message);
    default:
      throw ClientError(422, message);
  }
}

}  // namespace

void Gateway::Impl::handle_document(const std::string& operation, AdminRequest request,
                                    AdminResponder respond) {
  auto job = std::make_shared<Job>();
  job->operation = operation;
  job->received = Clock::now();
  job->received_wall_ns = lumen::SystemClock::instance().wall_ns();  // the spans' clock
  {
    // The caller's context, its baggage included, is current while the server span starts; the
    // job's context, which every stage of the job runs in, then carries both on to the models.
    auto request_scope = runtime.propagator().extract(request.headers).activate();
    job->span = tracer.start("POST /v1/" + operation, {.kind = lumen::trace::SpanKind::kServer,
                                                       .start_ns = job->received_wall_ns});
    job->span.set("http.request.method", "POST").set("http.route", "/v1/" + operation);
    auto span_scope = job->span.activate();
    job->context = lumen::Context::current();
  }
  job->respond = std::move(respond);
  ai.record_request_size(static_cast<std::int64_t>(request.body.size()));
  // A small body is read here, on the I/O thread, so that a cached answer goes out without a
  // round trip through the worker pool: the two thread hand-offs cost more than the answer.
  // Larger bodies are read on a worker: on the I/O thread, one large body held up every other
  // client for seconds.
  if (coalescing.load() && request.body.size() <= kInlineBodyBytes) {
    if (!admit(*job, parse(request))) return;
    if (answer_if_cached(*job)) return;
    return submit(job, [this, job] { process(*job); });
  }
  // std::function needs a copyable task, hence the shared request.
  auto unread = std::make_shared<AdminRequest>(std::move(request));
  submit(job, [this, job, unread] {
    auto parsed = parse(*unread);
    unread->body = std::string();  // released before the answer is produced
    if (admit(*job, std::move(parsed))) process(*job);
  });
}

void Gateway::Impl::submit(const std::shared_ptr<Job>& job, std::function<void()> task) {
  job->enqueued_wall_ns = lumen::SystemClock::instance().wall_ns();  // the queue span's start
  if (!workers.try_submit(std::move(task))) {
    rejected.fetch_add(1);
    ai.record_error("overload", "none");
    return finish(*job, 503, error_body("overloaded", "the job queue is full; retry soon"),
                  std::chrono::seconds(1));
  }
  submitted.fetch_add(1);
  ai.set_queue_depth(static_cast<std::int64_t>(workers.stats().depth));
}

std::variant<DocumentRequest, std::string> Gateway::Impl::parse(const AdminRequest& request) const {
  return parse_document_request(request.header("content-type"), request.body,
                                {.max_images = options.max_images});
}

// Checks a parsed request (a 400 ends the job) and answers an asynchronous one with 202, its
// result going to the job store.
bool Gateway::Impl::admit(Job& job, std::variant<DocumentRequest, std::string> parsed) {
  if (auto* problem = std::get_if<std::string>(&parsed)) {
    ai.record_error("bad_request", "none");
    finish(job, 400, error_body("bad_request", *problem));
    return false;
  }
  job.request = std::move(std::get<DocumentRequest>(parsed));
  const DocumentRequest& doc = job.request;
  if (!doc.model.empty() && !router.knows(doc.model)) {
    ai.record_error("bad_request", "none");
    finish(job, 400, error_body("bad_request", "unknown model '" + doc.model + "'"));
    return false;
  }
  job.span.set("user.tier", doc.tier)
      .set("ai.images", static_cast<std::int64_t>(doc.images.size()));
  job.key = cache_key(job.operation, doc);
  if (doc.async) {
    job.job_id = jobs.create();
    AdminResponder accepted = std::move(job.respond);
    job.respond = nullptr;
    accepted(json_answer(202, {{"job_id", job.job_id}, {"status_url", "/v1/jobs/" + job.job_id}}));
  }
  return true;
}

std::string Gateway::Impl::cache_key(const std::string& operation, const DocumentRequest& doc) {
  lumen::perf::KeyHasher key_hash;
  key_hash.add(operation);
  key_hash.add(doc.model);
  key_hash.add(doc.document);
  for (const auto& image : doc.images) {
    key_hash.add(std::string_view(reinterpret_cast<const char*>(image.data()), image.size()));
  }
  return lumen::perf::format_key(operation, key_hash.value());
}

// On the I/O thread: true when the answer was cached and has been given. An asynchronous job
// takes the worker's path, which reports its progress to the job store.
bool Gateway::Impl::answer_if_cached(Job& job) {
  if (!job.job_id.empty()) return false;
  std::optional<RoutedAnswer> cached = cache.try_get(job.key);
  if (!cached) return false;
  answer_with(job, *cached, lumen::perf::CoalesceOutcome::kCached, /*dedupe=*/true);
  return true;
}

void Gateway::Impl::process(Job& job) {
  auto scope = job.context.activate();
  const double queued_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - job.received).count();
  ai.record_queue_processing(queued_ms);
  ai.set_queue_depth(static_cast<std::int64_t>(workers.stats().depth));
  tracer.start("gateway.queue", {.start_ns = job.enqueued_wall_ns}).end();
  if (!job.job_id.empty()) jobs.set_running(job.job_id, "started");

  try {
    using lumen::perf::CoalesceOutcome;
    auto run = [&] { return produce(job); };
    const bool dedupe = coalescing.load();
    lumen::perf::Coalesced<RoutedAnswer> got =
        dedupe ? cache.get_with_outcome(job.key, run)
               : lumen::perf::Coalesced<RoutedAnswer>{run(), CoalesceOutcome::kExecuted};
    answer_with(job, got.value, got.outcome, dedupe);
  } catch (const ClientError& e) {
    ai.record_error("bad_image", "none");
    finish(job, e.status(), error_body(error_code(e.status()), e.what()));
  } catch (const ImageMemoryBusy& e) {
    ai.record_error("overload", "none");
    finish(job, 503, error_body("overloaded", e.what()), std::chrono::seconds(1));
  } catch (const InvalidModelInput& e) {
    ai.record_error("bad_request", "none");
    finish(job, 400, error_body("bad_request", e.what()));
  } catch (const NoModelAvailable& e) {
    finish(job, e.status() == 429 ? 429 : 503, error_body(error_code(e.status()), e.what()),
           std::chrono::seconds(1));
  } catch (const lumen::perf::CoalescerTimeout& e) {
    ai.record_error("timeout", "none");
    finish(job, 504, error_body("timeout", e.what()));
  } catch (const std::exception& e) {
    // A library's exception text says nothing useful to a client, and may say too much: it goes to
    // the log (with the trace) only.
    ai.record_error("internal", "none");
    {
      auto span_scope = job.span.activate();  // the log line carries the request's span
      logger.error("request failed inside the gateway", {{"error", e.what()}});
    }
    finish(job, 500, error_body("internal", "the gateway failed to process the request"));
  }
}

void Gateway::Impl::answer_with(Job& job, const RoutedAnswer& answer,
                                lumen::perf::CoalesceOutcome outcome, bool dedupe) {
  const bool executed = outcome == lumen::perf::CoalesceOutcome::kExecuted;
  const std::string_view cache_type = job.operation == "analyze" ? "document" : "enhancement";
  if (dedupe) ai.record_cache_lookup(cache_type, !executed);
  if (!executed) {
    served_without_model.fetch_add(1);
    ai.record_ai_call_avoided(answer.model, outcome == lumen::perf::CoalesceOutcome::kCoalesced
                                                ? lumen::beautifyai::AvoidedReason::kCoalesced
                                                : lumen::beautifyai::AvoidedReason::kCache);
    ai.record_cache_bytes_saved(cache_type, static_cast<std::int64_t>(answer.answer.output.size()));
  }
  job.span.set("gateway.cached", !executed).set("ai.model", answer.model);
  finish(job, 200,
         {{"model", answer.model},
          {"output", answer.answer.output},
          {"input_tokens", answer.answer.input_tokens},
          {"output_tokens", answer.answer.output_tokens},
          {"cached", !executed},
          {"attempts", answer.attempts},
          {"trace_id", job.span.context().trace_id().to_hex()}});
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
      if (!result.ok()) throw_image_error(i, result.error());
      optimized = std::move(result.value().bytes);
      format = lumen::image::to_string(result.value().format);
    } else {
      // Unoptimized images still have to be images: a header check, no decode.
      auto metadata = images.read_metadata(original);
      if (!metadata.ok()) throw_image_error(i, metadata.error());
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
  return router.run(preferred, input);
}

void Gateway::Impl::finish(Job& job, int status, const json& body,
                           std::chrono::seconds retry_after) {
  const Clock::duration elapsed = Clock::now() - job.received;
  const double seconds = std::chrono::duration<double>(elapsed).count();
  const std::string route = "/v1/" + job.operation;
  const std::string tier = job.request.tier;
  job.span.set("http.response.status_code", static_cast<std::int64_t>(status));
  if (status >= 500) {
    job.span.set_status(lumen::trace::StatusCode::kError, body["error"].value("message", ""));
  } else if (status < 400) {
    job.span.set_status(lumen::trace::StatusCode::kOk);
  }
  // The span ends with its last attribute, before the request's bookkeeping, while its lines are
  // still in this core's cache: after the metric updates and the log line, whose lines are cold at
  // saturation, its end cost about 120 ns more (bench/RESULTS.md, "Goal 1 at saturation: the
  // record handed over, and the span ends before the bookkeeping"). It ends at its start plus the
  // latency measured above, so that the span's duration is the request's latency and the span
  // reads no clock of its own. The log line still carries the span: its context outlives its end.
  job.span.end(job.received_wall_ns +
               static_cast<std::uint64_t>(std::chrono::nanoseconds(elapsed).count()));
  http_requests.add(1, {{"route", route}, {"status", static_cast<std::int64_t>(status)}});
  http_duration.record(seconds, {{"route", route}, {"tier", tier}});
  ai.record_user_request(tier, seconds * 1e3);
  {
    auto scope = job.span.activate();
    const lumen::log::Level level = status >= 500   ? lumen::log::Level::kError
                                    : status >= 400 ? lumen::log::Level::kWarn
                                                    : lumen::log::Level::kInfo;
    logger.log(level, "request completed",
               {{"route", route},
                {"status", static_cast<std::int64_t>(status)},
                {"duration_ms", seconds * 1e3},
                {"user_id", job.request.user_id},
                {"tier", tier}});
  }
  answered.fetch_add(1);
  if (!job.job_id.empty()) jobs.finish(job.job_id, status, safe_dump(body));
  if (job.respond) {
    AdminResponse response = json_answer(status, body);
    if (retry_after.count() > 0)
      response.headers.emplace_back("Retry-After", std::to_string(retry_after.count()));
    AdminResponder respond = std::move(job.respond);
    job.respond = nullptr;
    respond(std::move(response));
  }
}

AdminResponse Gateway::Impl::job_status(const AdminRequest& request) {
  if (request.method != "GET") return json_answer(405, error_body("method_not_allowed", "use GET"));
  const std::string id = request.path.substr(std::string_view("/v1/jobs/").size());
  if (!is_utf8(id))
    return json_answer(400, error_body("bad_request", "the job id is not valid UTF-8"));
  const auto state = jobs.find(id);
  if (!state)
    return json_answer(404, error_body("not_found", "no job '" + id + "' (unknown or expired)"));
  json body{{"job_id", id}, {"status", to_string(state->status)}};
  if (state->status == JobStatus::kDone || state->status == JobStatus::kFailed) {
    body["http_status"] = state->http_status;
    body["result"] = json::parse(state->result, nullptr, false);
  }
  return json_answer(200, body);
}

Gateway::Gateway(lumen::Runtime& runtime, GatewayOptions options,
                 std::shared_ptr<SwitchableSampler> sampler)
    : impl_(std::make_unique<Impl>(runtime, std::move(options), std::move(sampler))) {}

Gateway::~Gateway() {
  stop();
}

void Gateway::mount(lumen::admin::AdminServer& server) {
  Impl* impl = impl_.get();
  for (const std::string operation : {"analyze", "enhance"}) {
    server.route_async("/v1/" + operation,
                       [impl, operation](AdminRequest request, AdminResponder respond) {
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
      {.on_open = [impl](const lumen::admin::WebSocketChannel& c,
                         const AdminRequest& r) { impl->stream_open(c, r); },
       .on_message = [impl](const lumen::admin::WebSocketChannel& c,
                            const std::string& m) { impl->stream_message(c, m); },
       .on_close = [impl](const lumen::admin::WebSocketChannel& c) { impl->stream_close(c); }});
}

void Gateway::mount_control(lumen::admin::AdminServer& admin) {
  Impl* impl = impl_.get();
  admin.route("/control/stats", [impl](const AdminRequest&) { return impl->control_stats(); });
  admin.route("/control/optimizations",
              [impl](const AdminRequest& r) { return impl->control_optimizations(r); });
}

void Gateway::stop() {
  impl_->workers.stop();
}

void Gateway::set_optimizations(const Optimizations& optimizations) {
  impl_->set_optimizations(optimizations);
}

Optimizations Gateway::optimizations() const {
  return {impl_->coalescing.load(), impl_->router.batching(), impl_->images_on.load(),
          impl_->sampler ? impl_->sampler->enabled() : true};
}

lumen::image::MemoryBudget& Gateway::image_memory_budget() {
  return impl_->image_budget;
}

GatewayStats Gateway::stats() const {
  const UpstreamStats u = impl_->upstream.stats();
  return {impl_->answered.load(),
          u.calls,
          u.inputs,
          u.bytes_sent,
          impl_->bytes_in.load(),
          impl_->bytes_out.load(),
          impl_->served_without_model.load(),
          impl_->rejected.load(),
          process_cpu_seconds()};
}

}  // namespace beautifyai
