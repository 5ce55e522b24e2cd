#include "gateway_impl.hpp"
#include "utf8.hpp"

namespace beautifyai {
namespace {

using namespace detail;

// What /v1/stream pushes about a job: {"type":"progress"|"result", "job_id", "status", "stage",
// and once finished "http_status" and "result" (the body a synchronous request would have got).
std::string progress_message(const std::string& id, const JobState& state) {
  const bool finished = state.status == JobStatus::kDone || state.status == JobStatus::kFailed;
  json message{{"type", finished ? "result" : "progress"},
               {"job_id", id},
               {"status", to_string(state.status)},
               {"stage", state.stage}};
  if (finished) {
    message["http_status"] = state.http_status;
    message["result"] = json::parse(state.result, nullptr, false);
  }
  return safe_dump(message);
}

std::string stream_error(std::string_view code, std::string_view message) {
  json body = error_body(code, message);
  body["type"] = "error";
  return safe_dump(body);
}

}  // namespace

// /v1/stream: a WebSocket that follows jobs. A client opens it (with ?job=ID to follow one at once)
// and sends {"subscribe": ID} to follow a job, or a document request with "operation" ("analyze"
// or "enhance") to submit one: it gets {"type":"accepted","job_id"} and then the job's progress.
// Open streams are what active_connections counts.
void Gateway::Impl::stream_open(const lumen::admin::WebSocketChannel& channel,
                                const AdminRequest& request) {
  ai.add_active_connections(1);
  if (const std::string job = request.query_param("job"); !job.empty()) follow(channel, job);
}

void Gateway::Impl::stream_message(const lumen::admin::WebSocketChannel& channel,
                                   const std::string& text) {
  // Parsed on the I/O thread: the depth is checked first, as a deeply nested message would cost
  // memory in proportion (a request needs two levels).
  if (!json_nesting_within(text, RequestLimits{}.max_json_depth)) {
    channel.send(stream_error("bad_request", "the message nests deeper than " +
                                                 std::to_string(RequestLimits{}.max_json_depth) +
                                                 " levels"));
    return;
  }
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
    channel.send(stream_error(
        "bad_request",
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
  handle_document(operation.get<std::string>(), std::move(request),
                  [this, channel](const AdminResponse& answer) {
                    json body = json::parse(answer.body, nullptr, false);
                    if (answer.status != 202 || !body.is_object()) {
                      body["type"] = "error";
                      body["http_status"] = answer.status;
                      channel.send(safe_dump(body));
                      return;
                    }
                    const std::string id = body["job_id"].get<std::string>();
                    channel.send(safe_dump(json{{"type", "accepted"}, {"job_id", id}}));
                    follow(channel, id);
                  });
}

void Gateway::Impl::follow(const lumen::admin::WebSocketChannel& channel,
                           const std::string& job_id) {
  // ?job= is percent-decoded into any bytes; {"subscribe"} was checked by the JSON parser.
  if (!is_utf8(job_id)) {
    channel.send(stream_error("bad_request", "the job id is not valid UTF-8"));
    return;
  }
  const Subscribed outcome =
      jobs.subscribe(job_id, channel.id(), [channel](const std::string& id, const JobState& s) {
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

}  // namespace beautifyai
