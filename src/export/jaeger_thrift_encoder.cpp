#include "export/jaeger_thrift_encoder.hpp"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>
#include <type_traits>
#include <variant>

#include "export/thrift_binary_writer.hpp"
#include "export/unix_micros.hpp"

namespace lumen::exporters::detail {
namespace {

// Field ids and enum values from jaeger-idl thrift/jaeger.thrift.
namespace tag_field {
constexpr std::int16_t kKey = 1, kVType = 2, kVStr = 3, kVDouble = 4, kVBool = 5, kVLong = 6;
}
enum class TagType : std::int32_t { kString = 0, kDouble = 1, kBool = 2, kLong = 3, kBinary = 4 };
namespace log_field {
constexpr std::int16_t kTimestamp = 1, kFields = 2;
}
enum class SpanRefType : std::int32_t { kChildOf = 0, kFollowsFrom = 1 };
namespace ref_field {
constexpr std::int16_t kRefType = 1, kTraceIdLow = 2, kTraceIdHigh = 3, kSpanId = 4;
}
namespace span_field {
constexpr std::int16_t kTraceIdLow = 1, kTraceIdHigh = 2, kSpanId = 3, kParentSpanId = 4,
                       kOperationName = 5, kReferences = 6, kFlags = 7, kStartTime = 8,
                       kDuration = 9, kTags = 10, kLogs = 11;
}
namespace process_field {
constexpr std::int16_t kServiceName = 1, kTags = 2;
}
namespace batch_field {
constexpr std::int16_t kProcess = 1, kSpans = 2;
}

std::int64_t as_i64(std::uint64_t bits) noexcept {
  return std::bit_cast<std::int64_t>(bits);
}

std::int32_t list_size(std::size_t n) noexcept {
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max());
  return static_cast<std::int32_t>(n < kMax ? n : kMax);
}

void json_append_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out += kHex[(static_cast<unsigned char>(c) >> 4) & 0xf];
          out += kHex[static_cast<unsigned char>(c) & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void json_append(std::string& out, const std::string& v) {
  json_append_string(out, v);
}
void json_append(std::string& out, bool v) {
  out += v ? "true" : "false";
}
void json_append(std::string& out, std::int64_t v) {
  out += std::to_string(v);
}
void json_append(std::string& out, double v) {
  // JSON has no literal for these; a string keeps the value readable rather than invalid JSON.
  if (std::isnan(v)) {
    out += "\"NaN\"";
  } else if (std::isinf(v)) {
    out += v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  } else {
    char buf[32];
    auto res = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, res.ptr);
  }
}

template <typename T>
void json_append(std::string& out, const std::vector<T>& values) {
  out += '[';
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i != 0) out += ',';
    json_append(out, static_cast<T>(values[i]));  // the cast reads std::vector<bool>'s proxies
  }
  out += ']';
}

void tag_header(ThriftBinaryWriter& w, std::string_view key, TagType type) {
  w.field_string(tag_field::kKey, key);
  w.field_i32(tag_field::kVType, static_cast<std::int32_t>(type));
}

void write_string_tag(ThriftBinaryWriter& w, std::string_view key, std::string_view value) {
  tag_header(w, key, TagType::kString);
  w.field_string(tag_field::kVStr, value);
  w.field_stop();
}

void write_bool_tag(ThriftBinaryWriter& w, std::string_view key, bool value) {
  tag_header(w, key, TagType::kBool);
  w.field_bool(tag_field::kVBool, value);
  w.field_stop();
}

void write_long_tag(ThriftBinaryWriter& w, std::string_view key, std::int64_t value) {
  tag_header(w, key, TagType::kLong);
  w.field_i64(tag_field::kVLong, value);
  w.field_stop();
}

void write_double_tag(ThriftBinaryWriter& w, std::string_view key, double value) {
  tag_header(w, key, TagType::kDouble);
  w.field_double(tag_field::kVDouble, value);
  w.field_stop();
}

void write_attribute_tag(ThriftBinaryWriter& w, const Attribute& a) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          write_string_tag(w, a.key, v);
        } else if constexpr (std::is_same_v<T, bool>) {
          write_bool_tag(w, a.key, v);
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          write_long_tag(w, a.key, v);
        } else if constexpr (std::is_same_v<T, double>) {
          write_double_tag(w, a.key, v);
        } else {
          write_string_tag(w, a.key, attribute_to_json(a.value));
        }
      },
      a.value);
}

// A list<Tag> field holding `attributes` except `skip_key`, then whatever `extra` writes (it
// returns how many tags it wrote). Omitted when it would be empty: the field is optional.
template <typename Extra>
void write_tags_field(ThriftBinaryWriter& w, std::string& out, std::int16_t field_id,
                      const Attributes& attributes, std::string_view skip_key, Extra&& extra) {
  const std::size_t field_start = out.size();
  w.field_begin(ThriftType::kList, field_id);
  const std::size_t handle = w.list_begin_unsized(ThriftType::kStruct);
  std::size_t count = 0;
  for (const Attribute& a : attributes) {
    if (!skip_key.empty() && a.key == skip_key) continue;
    write_attribute_tag(w, a);
    ++count;
  }
  count += extra();
  if (count == 0) {
    out.resize(field_start);
    return;
  }
  w.list_set_size(handle, list_size(count));
}

const char* jaeger_kind(trace::SpanKind kind) noexcept {
  switch (kind) {
    case trace::SpanKind::kClient:
      return "client";
    case trace::SpanKind::kServer:
      return "server";
    case trace::SpanKind::kProducer:
      return "producer";
    case trace::SpanKind::kConsumer:
      return "consumer";
    case trace::SpanKind::kInternal:
      return nullptr;
  }
  return nullptr;
}

std::size_t write_span_extra_tags(ThriftBinaryWriter& w, const trace::SpanData& span) {
  std::size_t n = 0;
  if (const char* kind = jaeger_kind(span.kind)) {
    write_string_tag(w, "span.kind", kind);
    ++n;
  }
  if (span.status == trace::StatusCode::kOk) {
    write_string_tag(w, "otel.status_code", "OK");
    ++n;
  } else if (span.status == trace::StatusCode::kError) {
    write_string_tag(w, "otel.status_code", "ERROR");
    ++n;
    if (!span.status_message.empty()) {
      write_string_tag(w, "otel.status_description", span.status_message);
      ++n;
    }
    write_bool_tag(w, "error", true);
    ++n;
  }
  if (span.scope != nullptr) {
    if (!span.scope->name.empty()) {
      write_string_tag(w, "otel.scope.name", span.scope->name);
      ++n;
    }
    if (!span.scope->version.empty()) {
      write_string_tag(w, "otel.scope.version", span.scope->version);
      ++n;
    }
  }
  const std::pair<const char*, std::uint32_t> dropped[] = {
      {"otel.dropped_attributes_count", span.dropped_attributes},
      {"otel.dropped_events_count", span.dropped_events},
      {"otel.dropped_links_count", span.dropped_links},
  };
  for (const auto& [key, count] : dropped) {
    if (count != 0) {
      write_long_tag(w, key, count);
      ++n;
    }
  }
  return n;
}

void write_span(ThriftBinaryWriter& w, std::string& out, const trace::SpanData& span) {
  const TraceId& trace_id = span.context.trace_id();
  w.field_i64(span_field::kTraceIdLow, as_i64(trace_id.low64()));
  w.field_i64(span_field::kTraceIdHigh, as_i64(trace_id.high64()));
  w.field_i64(span_field::kSpanId, as_i64(span.context.span_id().low64()));
  // An invalid (all-zero) parent id reads as 0, which is what Jaeger expects for a root.
  w.field_i64(span_field::kParentSpanId, as_i64(span.parent_span_id.low64()));
  w.field_string(span_field::kOperationName, span.name);

  if (!span.links.empty()) {
    w.field_begin(ThriftType::kList, span_field::kReferences);
    w.list_begin(ThriftType::kStruct, list_size(span.links.size()));
    for (const trace::Link& link : span.links) {
      w.field_i32(ref_field::kRefType, static_cast<std::int32_t>(SpanRefType::kFollowsFrom));
      w.field_i64(ref_field::kTraceIdLow, as_i64(link.context.trace_id().low64()));
      w.field_i64(ref_field::kTraceIdHigh, as_i64(link.context.trace_id().high64()));
      w.field_i64(ref_field::kSpanId, as_i64(link.context.span_id().low64()));
      w.field_stop();
    }
  }

  w.field_i32(span_field::kFlags, span.context.is_sampled() ? 1 : 0);
  w.field_i64(span_field::kStartTime, micros(span.start_ns));
  w.field_i64(span_field::kDuration, micros(span.duration_ns()));

  write_tags_field(w, out, span_field::kTags, span.attributes, {},
                   [&] { return write_span_extra_tags(w, span); });

  if (!span.events.empty()) {
    w.field_begin(ThriftType::kList, span_field::kLogs);
    w.list_begin(ThriftType::kStruct, list_size(span.events.size()));
    for (const trace::Event& event : span.events) {
      w.field_i64(log_field::kTimestamp, micros(event.time_ns));
      w.field_begin(ThriftType::kList, log_field::kFields);
      w.list_begin(ThriftType::kStruct, list_size(event.attributes.size() + 1));
      write_string_tag(w, "event", event.name);
      for (const Attribute& a : event.attributes) write_attribute_tag(w, a);
      w.field_stop();
    }
  }
  w.field_stop();
}

}  // namespace

std::string attribute_to_json(const AttributeValue& value) {
  std::string out;
  std::visit([&out](const auto& v) { json_append(out, v); }, value);
  return out;
}

std::string encode_jaeger_batch(const Resource& resource,
                                std::span<const trace::SpanData* const> spans) {
  std::string out;
  out.reserve(256 + spans.size() * 256);
  ThriftBinaryWriter w(out);

  w.field_begin(ThriftType::kStruct, batch_field::kProcess);
  w.field_string(process_field::kServiceName, resource.service_name());
  write_tags_field(w, out, process_field::kTags, resource.attributes(), "service.name",
                   [] { return std::size_t{0}; });
  w.field_stop();

  w.field_begin(ThriftType::kList, batch_field::kSpans);
  w.list_begin(ThriftType::kStruct, list_size(spans.size()));
  for (const trace::SpanData* span : spans) write_span(w, out, *span);
  w.field_stop();
  return out;
}

std::vector<JaegerBatch> encode_jaeger_batches(trace::SpanBatch spans) {
  static const Resource kEmptyResource;
  struct Group {
    const Resource* resource;
    std::vector<const trace::SpanData*> spans;
  };
  std::vector<Group> groups;
  for (const auto& span : spans) {
    if (!span) continue;
    const Resource* resource = span->scope != nullptr && span->scope->resource != nullptr
                                   ? span->scope->resource
                                   : &kEmptyResource;
    Group* group = nullptr;
    for (Group& g : groups) {
      if (g.resource == resource) group = &g;
    }
    if (group == nullptr) group = &groups.emplace_back(Group{resource, {}});
    group->spans.push_back(span.get());
  }
  std::vector<JaegerBatch> batches;
  batches.reserve(groups.size());
  for (const Group& g : groups) {
    batches.push_back(JaegerBatch{encode_jaeger_batch(*g.resource, g.spans), g.spans.size()});
  }
  return batches;
}

}  // namespace lumen::exporters::detail
