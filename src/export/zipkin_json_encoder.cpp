#include "export/zipkin_json_encoder.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <optional>
#include <string_view>
#include <type_traits>
#include <variant>

#include "export/unix_micros.hpp"

namespace lumen::exporters::detail {
namespace {

using Json = nlohmann::ordered_json;

std::string number_text(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

Json as_json(const AttributeValue& value) {
  return std::visit(
      [](const auto& v) -> Json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::vector<bool>>) {
          Json array = Json::array();
          for (bool b : v) array.push_back(b);
          return array;
        } else {
          return Json(v);
        }
      },
      value);
}

// Zipkin tags are strings: numbers and booleans in their usual text, arrays as JSON arrays.
std::string tag_text(const AttributeValue& value) {
  return std::visit(
      [&](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return v;
        } else if constexpr (std::is_same_v<T, bool>) {
          return v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          return std::to_string(v);
        } else if constexpr (std::is_same_v<T, double>) {
          return number_text(v);
        } else {
          return as_json(value).dump(-1, ' ', false, Json::error_handler_t::replace);
        }
      },
      value);
}

const char* zipkin_kind(trace::SpanKind kind) noexcept {
  switch (kind) {
    case trace::SpanKind::kServer:
      return "SERVER";
    case trace::SpanKind::kClient:
      return "CLIENT";
    case trace::SpanKind::kProducer:
      return "PRODUCER";
    case trace::SpanKind::kConsumer:
      return "CONSUMER";
    case trace::SpanKind::kInternal:
      return nullptr;
  }
  return nullptr;
}

// The specification's ranking of the attributes that name the remote side (newer semantic
// conventions beside the ones it lists).
constexpr std::array<std::string_view, 9> kRemoteServiceKeys = {
    "peer.service",         "server.address", "net.peer.name",
    "network.peer.address", "net.peer.ip",    "peer.hostname",
    "peer.address",         "http.host",      "db.name"};
constexpr std::array<std::string_view, 3> kRemotePortKeys = {"server.port", "net.peer.port",
                                                             "network.peer.port"};

std::optional<Json> remote_endpoint(const trace::SpanData& span) {
  if (span.kind != trace::SpanKind::kClient && span.kind != trace::SpanKind::kProducer) {
    return std::nullopt;
  }
  for (std::string_view key : kRemoteServiceKeys) {
    const AttributeValue* v = span.attributes.find(key);
    if (v == nullptr) continue;
    Json endpoint = Json::object();
    endpoint["serviceName"] = tag_text(*v);
    for (std::string_view port_key : kRemotePortKeys) {
      if (const AttributeValue* p = span.attributes.find(port_key)) {
        if (const auto* port = std::get_if<std::int64_t>(p);
            port != nullptr && *port > 0 && *port <= 65535) {
          endpoint["port"] = *port;
          break;
        }
      }
    }
    return endpoint;
  }
  return std::nullopt;
}

std::string annotation_value(const trace::Event& event) {
  if (event.attributes.size() == 0) return event.name;
  Json attributes = Json::object();
  for (const Attribute& a : event.attributes) attributes[a.key] = as_json(a.value);
  Json value = Json::object();
  value[event.name] = std::move(attributes);
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string service_name(const trace::SpanData& span) {
  const Resource* resource = span.scope ? span.scope->resource : nullptr;
  return resource != nullptr ? resource->service_name() : "unknown_service";
}

Json encode_span(const trace::SpanData& span) {
  Json out = Json::object();
  out["traceId"] = span.context.trace_id().to_hex();
  if (span.parent_span_id.is_valid()) out["parentId"] = span.parent_span_id.to_hex();
  out["id"] = span.context.span_id().to_hex();
  if (const char* kind = zipkin_kind(span.kind)) out["kind"] = kind;
  out["name"] = span.name;
  out["timestamp"] = micros(span.start_ns);
  out["duration"] = std::max<std::int64_t>(1, micros(span.duration_ns()));
  out["localEndpoint"] = Json{{"serviceName", service_name(span)}};
  if (auto remote = remote_endpoint(span)) out["remoteEndpoint"] = std::move(*remote);
  if (!span.events.empty()) {
    Json annotations = Json::array();
    for (const trace::Event& e : span.events) {
      annotations.push_back(Json{{"timestamp", micros(e.time_ns)}, {"value", annotation_value(e)}});
    }
    out["annotations"] = std::move(annotations);
  }
  Json tags = Json::object();
  for (const Attribute& a : span.attributes) tags[a.key] = tag_text(a.value);
  if (span.scope && !span.scope->name.empty()) tags["otel.scope.name"] = span.scope->name;
  if (span.scope && !span.scope->version.empty()) tags["otel.scope.version"] = span.scope->version;
  if (span.status == trace::StatusCode::kOk) tags["otel.status_code"] = "OK";
  if (span.status == trace::StatusCode::kError) {
    tags["otel.status_code"] = "ERROR";
    tags["error"] = span.status_message;
  }
  if (span.dropped_attributes != 0) {
    tags["otel.dropped_attributes_count"] = std::to_string(span.dropped_attributes);
  }
  if (span.dropped_events != 0)
    tags["otel.dropped_events_count"] = std::to_string(span.dropped_events);
  if (span.dropped_links != 0)
    tags["otel.dropped_links_count"] = std::to_string(span.dropped_links);
  if (!tags.empty()) out["tags"] = std::move(tags);
  return out;
}

}  // namespace

std::string encode_zipkin_spans(trace::SpanBatch batch) {
  Json list = Json::array();
  for (const auto& span : batch) {
    if (span) list.push_back(encode_span(*span));
  }
  // Invalid UTF-8 in a name or value becomes U+FFFD rather than failing the whole batch.
  return list.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace lumen::exporters::detail
