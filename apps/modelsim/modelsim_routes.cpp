#include "modelsim_routes.hpp"

#include <nlohmann/json.hpp>
#include <variant>

namespace modelsim {
namespace {

using lumen::admin::AdminRequest;
using lumen::admin::AdminResponse;
using json = nlohmann::json;

AdminResponse json_response(int status, const json& body) {
  return {.status = static_cast<unsigned>(status),
          .content_type = "application/json",
          .body = body.dump()};
}

AdminResponse bad_request(const std::string& message) {
  return json_response(400, {{"error", message}});
}

// The inputs of a generate ("input") or batch ("inputs") body, or an error message.
std::variant<std::vector<std::string>, std::string> read_inputs(const std::string& body,
                                                                bool batch) {
  const json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object())
    return std::string("the body is not a JSON object");
  std::vector<std::string> inputs;
  if (batch) {
    const auto it = parsed.find("inputs");
    if (it == parsed.end() || !it->is_array() || it->empty()) {
      return std::string("\"inputs\" must be a non-empty array of strings");
    }
    for (const auto& item : *it) {
      if (!item.is_string()) return std::string("\"inputs\" must be a non-empty array of strings");
      inputs.push_back(item.get<std::string>());
    }
  } else {
    const auto it = parsed.find("input");
    if (it == parsed.end() || !it->is_string()) return std::string("\"input\" must be a string");
    inputs.push_back(it->get<std::string>());
  }
  return inputs;
}

AdminResponse answer(const Outcome& outcome, const std::string& model, bool batch) {
  if (outcome.status != 200) {
    AdminResponse r = json_response(outcome.status, {{"error", outcome.error}, {"model", model}});
    if (outcome.retry_after.count() > 0) {
      r.headers.emplace_back("Retry-After", std::to_string(outcome.retry_after.count()));
    }
    r.delay = outcome.latency;
    return r;
  }
  json results = json::array();
  for (std::size_t i = 0; i < outcome.input_tokens.size(); ++i) {
    results.push_back({{"output", "enhanced document " + std::to_string(i)},
                       {"input_tokens", outcome.input_tokens[i]},
                       {"output_tokens", outcome.output_tokens[i]}});
  }
  json body = batch ? json{{"model", model}, {"results", results}} : results[0];
  if (!batch) body["model"] = model;
  body["latency_ms"] = outcome.latency.count();
  AdminResponse r = json_response(200, body);
  r.delay = outcome.latency;
  return r;
}

}  // namespace

void add_routes(lumen::admin::AdminServer& server, ModelSimulator& simulator) {
  for (const bool batch : {false, true}) {
    server.route(
        batch ? "/v1/batch" : "/v1/generate", [&simulator, batch](const AdminRequest& request) {
          if (request.method != "POST") return bad_request("use POST");
          const std::string model = request.query_param("model");
          if (model.empty()) return bad_request("the query parameter model is required");
          auto inputs = read_inputs(request.body, batch);
          if (auto* error = std::get_if<std::string>(&inputs)) return bad_request(*error);
          const Outcome outcome = simulator.call(model, std::get<std::vector<std::string>>(inputs));
          return answer(outcome, model, batch);
        });
  }
  server.route("/v1/models", [&simulator](const AdminRequest&) {
    json models = json::array();
    for (const auto& m : simulator.models()) {
      models.push_back({{"name", m.name},
                        {"median_ms", m.median_ms},
                        {"overhead_ms", m.overhead_ms},
                        {"failure_rate", m.failure_rate},
                        {"requests_per_second", m.requests_per_second},
                        {"batch_endpoint", m.batch_endpoint},
                        {"input_usd_per_1k_tokens", m.input_usd_per_1k_tokens},
                        {"output_usd_per_1k_tokens", m.output_usd_per_1k_tokens},
                        {"scenario", to_string(simulator.scenario(m.name))}});
    }
    return json_response(200, {{"models", models}});
  });
  server.route("/v1/stats", [&simulator](const AdminRequest&) {
    json stats = json::object();
    for (const auto& [name, s] : simulator.stats()) {
      stats[name] = {{"calls", s.calls},
                     {"inputs", s.inputs},
                     {"ok", s.ok},
                     {"failed", s.failed},
                     {"rate_limited", s.rate_limited},
                     {"input_tokens", s.input_tokens},
                     {"output_tokens", s.output_tokens},
                     {"cost_usd", s.cost_usd}};
    }
    return json_response(200, stats);
  });
  server.route("/control/scenario", [&simulator](const AdminRequest& request) {
    if (request.method != "POST") return bad_request("use POST");
    const json body = json::parse(request.body, nullptr, false);
    if (!body.is_object() || !body.contains("model") || !body["model"].is_string() ||
        !body.contains("scenario") || !body["scenario"].is_string()) {
      return bad_request(
          "expected {\"model\": ..., \"scenario\": \"normal|slow|down|ratelimited\"}");
    }
    const auto scenario = parse_scenario(body["scenario"].get<std::string>());
    if (!scenario) return bad_request("unknown scenario; use normal, slow, down or ratelimited");
    try {
      simulator.set_scenario(body["model"].get<std::string>(), *scenario);
    } catch (const std::invalid_argument& e) {
      return json_response(404, {{"error", e.what()}});
    }
    return json_response(200, {{"model", body["model"]}, {"scenario", to_string(*scenario)}});
  });
}

}  // namespace modelsim
