#include "export/otlp_json_encoder.hpp"
#include "export/otlp_json_common.hpp"

#include <cmath>
#include <nlohmann/json.hpp>
#include <type_traits>
#include <variant>

#include "export/otlp_grouping.hpp"
#include "export/otlp_proto_encoder.hpp"  // span flag bits

namespace lumen::exporters::detail {
namespace {

// Insertion order keeps the output readable (ids first, as in the proto definition).
using Json = nlohmann::ordered_json;

std::string u64_string(std::uint64_t v) {
  return std::to_string(v);
}

// Proto3's JSON mapping writes non-finite doubles as these strings (JSON has no NaN).
Json double_json(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return v;
}

Json scalar_any_value(const auto& v) {
  using T = std::decay_t<decltype(v)>;
  Json any = Json::object();
  if constexpr (std::is_same_v<T, std::string>) {
    any["stringValue"] = v;
  } else if constexpr (std::is_same_v<T, bool>) {
    any["boolValue"] = v;
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    any["intValue"] = std::to_string(v);
  } else {
    static_assert(std::is_same_v<T, double>);
    any["doubleValue"] = double_json(v);
  }
  return any;
}

Json any_value(const AttributeValue& value) {
  return std::visit(
      [](const auto& v) -> Json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, bool> ||
                      std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>) {
          return scalar_any_value(v);
        } else {
          Json array = Json::object();
          if (!v.empty()) {
            Json values = Json::array();
            for (const auto& element : v) {
              // vector<bool> hands out proxies; pin the element type.
              values.push_back(scalar_any_value(static_cast<typename T::value_type>(element)));
            }
            array["values"] = std::move(values);
          }
          return Json{{"arrayValue", std::move(array)}};
        }
      },
      value);
}

void put_attributes(Json& parent, const Attributes& attributes, std::uint32_t dropped) {
  if (!attributes.empty()) {
    Json list = Json::array();
    for (const Attribute& a : attributes)
      list.push_back(Json{{"key", a.key}, {"value", any_value(a.value)}});
    parent["attributes"] = std::move(list);
  }
  if (dropped != 0) parent["droppedAttributesCount"] = dropped;
}

Json span_json(const trace::SpanData& s) {
  Json span = Json::object();
  span["traceId"] = s.context.trace_id().to_hex();
  span["spanId"] = s.context.span_id().to_hex();
  if (!s.context.trace_state().empty()) span["traceState"] = s.context.trace_state();
  if (s.parent_span_id.is_valid()) span["parentSpanId"] = s.parent_span_id.to_hex();
  span["flags"] = s.context.flags() | kSpanFlagsContextHasIsRemote |
                  (s.parent_is_remote ? kSpanFlagsContextIsRemote : 0U);
  if (!s.name.empty()) span["name"] = s.name;
  span["kind"] = static_cast<int>(s.kind);
  if (s.start_ns != 0) span["startTimeUnixNano"] = u64_string(s.start_ns);
  if (s.end_ns != 0) span["endTimeUnixNano"] = u64_string(s.end_ns);
  put_attributes(span, s.attributes, s.dropped_attributes);
  if (!s.events.empty()) {
    Json events = Json::array();
    for (const trace::Event& e : s.events) {
      Json event = Json::object();
      if (e.time_ns != 0) event["timeUnixNano"] = u64_string(e.time_ns);
      if (!e.name.empty()) event["name"] = e.name;
      put_attributes(event, e.attributes, e.dropped_attributes);
      events.push_back(std::move(event));
    }
    span["events"] = std::move(events);
  }
  if (s.dropped_events != 0) span["droppedEventsCount"] = s.dropped_events;
  if (!s.links.empty()) {
    Json links = Json::array();
    for (const trace::Link& l : s.links) {
      Json link = Json::object();
      link["traceId"] = l.context.trace_id().to_hex();
      link["spanId"] = l.context.span_id().to_hex();
      if (!l.context.trace_state().empty()) link["traceState"] = l.context.trace_state();
      put_attributes(link, l.attributes, l.dropped_attributes);
      link["flags"] = l.context.flags() | kSpanFlagsContextHasIsRemote |
                      (l.context.is_remote() ? kSpanFlagsContextIsRemote : 0U);
      links.push_back(std::move(link));
    }
    span["links"] = std::move(links);
  }
  if (s.dropped_links != 0) span["droppedLinksCount"] = s.dropped_links;
  if (s.status != trace::StatusCode::kUnset || !s.status_message.empty()) {
    Json status = Json::object();
    if (!s.status_message.empty()) status["message"] = s.status_message;
    if (s.status != trace::StatusCode::kUnset) status["code"] = static_cast<int>(s.status);
    span["status"] = std::move(status);
  }
  return span;
}

}  // namespace

nlohmann::ordered_json key_values_json(const Attributes& attributes) {
  Json list = Json::array();
  for (const Attribute& a : attributes)
    list.push_back(Json{{"key", a.key}, {"value", any_value(a.value)}});
  return list;
}

nlohmann::ordered_json otlp_double_json(double value) {
  return double_json(value);
}

std::string encode_trace_request_json(trace::SpanBatch batch) {
  return encode_trace_request_json(MixedSpanBatch{batch, {}});
}

std::string encode_trace_request_json(MixedSpanBatch batch) {
  Json resource_spans = Json::array();
  for (const ResourceGroup& rg : group_by_resource_and_scope(batch)) {
    Json entry = Json::object();
    if (rg.resource != nullptr) {
      Json resource = Json::object();
      put_attributes(resource, rg.resource->attributes(), 0);
      entry["resource"] = std::move(resource);
    }
    Json scope_spans = Json::array();
    for (const ScopeGroup& sg : rg.scopes) {
      Json group = Json::object();
      if (sg.scope != nullptr) {
        Json scope = Json::object();
        if (!sg.scope->name.empty()) scope["name"] = sg.scope->name;
        if (!sg.scope->version.empty()) scope["version"] = sg.scope->version;
        group["scope"] = std::move(scope);
      }
      Json spans = Json::array();
      for (const trace::SpanData* span : sg.spans) spans.push_back(span_json(*span));
      // The JSON encoding is for debugging receivers, not for speed: a record goes through a copy.
      for (const trace::detail::SpanRecord* record : sg.records) {
        spans.push_back(span_json(trace::detail::to_span_data(*record)));
      }
      group["spans"] = std::move(spans);
      scope_spans.push_back(std::move(group));
    }
    entry["scopeSpans"] = std::move(scope_spans);
    resource_spans.push_back(std::move(entry));
  }
  Json request = Json::object();
  request["resourceSpans"] = std::move(resource_spans);
  // `replace` writes U+FFFD for invalid UTF-8 instead of throwing.
  return request.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace lumen::exporters::detail
