#include "export/otlp_proto_encoder.hpp"

#include <cstring>
#include <type_traits>
#include <variant>

#include "export/otlp_grouping.hpp"

namespace lumen::exporters::detail {
namespace {

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

// Length of the well-formed UTF-8 sequence starting at text[i] (Unicode Table 3-7), 0 if none.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) noexcept {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return 1;
  const std::size_t left = text.size() - i;
  const auto cont = [&](std::size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return byte(i + k) >= lo && byte(i + k) <= hi;
  };
  if (b0 >= 0xC2 && b0 <= 0xDF) return left >= 2 && cont(1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (left < 3) return 0;
    const unsigned char lo = b0 == 0xE0 ? 0xA0 : 0x80;
    const unsigned char hi = b0 == 0xED ? 0x9F : 0xBF;  // no UTF-16 surrogates
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (left < 4) return 0;
    const unsigned char lo = b0 == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = b0 == 0xF4 ? 0x8F : 0xBF;  // nothing past U+10FFFF
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

bool is_valid_utf8(std::string_view text) noexcept {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = utf8_sequence_length(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

void write_id_field(ProtoWriter& w, std::uint32_t field, const auto& id) {
  w.bytes_field(field, id.bytes().data(), id.bytes().size());
}

void write_scalar_any_value(ProtoWriter& w, std::uint32_t field, const auto& value) {
  using T = std::decay_t<decltype(value)>;
  const std::size_t m = w.begin_message(field);
  // AnyValue is a oneof: a zero or empty member is still written, so that its type survives.
  if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::string_view>) {
    w.string_field(1, value);
  } else if constexpr (std::is_same_v<T, bool>) {
    w.bool_field(2, value);
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    w.int64_field(3, value);
  } else {
    static_assert(std::is_same_v<T, double>);
    w.double_field(4, value);
  }
  w.end_message(m);
}

void write_any_value(ProtoWriter& w, std::uint32_t field, const AttributeValue& value) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::vector<bool>>) {
          const std::size_t any = w.begin_message(field);
          const std::size_t array = w.begin_message(5);
          for (bool b : v) write_scalar_any_value(w, 1, b);
          w.end_message(array);
          w.end_message(any);
        } else if constexpr (requires { v.begin(); } && !std::is_same_v<T, std::string>) {
          const std::size_t any = w.begin_message(field);
          const std::size_t array = w.begin_message(5);
          for (const auto& element : v) write_scalar_any_value(w, 1, element);
          w.end_message(array);
          w.end_message(any);
        } else {
          write_scalar_any_value(w, field, v);
        }
      },
      value);
}

void write_attributes(ProtoWriter& w, std::uint32_t field, const Attributes& attributes) {
  for (const Attribute& a : attributes) {
    const std::size_t kv = w.begin_message(field);
    w.string_field(1, a.key);
    write_any_value(w, 2, a.value);
    w.end_message(kv);
  }
}

void write_nonzero(ProtoWriter& w, std::uint32_t field, std::uint32_t value) {
  if (value != 0) w.varint_field(field, value);
}

std::uint32_t link_flags(const SpanContext& context) {
  return context.flags() | kSpanFlagsContextHasIsRemote |
         (context.is_remote() ? kSpanFlagsContextIsRemote : 0U);
}

void write_span(ProtoWriter& w, const trace::SpanData& s) {
  const std::size_t span = w.begin_message(2);  // ScopeSpans.spans
  write_id_field(w, 1, s.context.trace_id());
  write_id_field(w, 2, s.context.span_id());
  if (!s.context.trace_state().empty()) w.string_field(3, s.context.trace_state());
  if (s.parent_span_id.is_valid()) write_id_field(w, 4, s.parent_span_id);
  if (!s.name.empty()) w.string_field(5, s.name);
  w.varint_field(6, static_cast<std::uint8_t>(s.kind));
  if (s.start_ns != 0) w.fixed64_field(7, s.start_ns);
  if (s.end_ns != 0) w.fixed64_field(8, s.end_ns);
  write_attributes(w, 9, s.attributes);
  write_nonzero(w, 10, s.dropped_attributes);
  for (const trace::Event& e : s.events) {
    const std::size_t event = w.begin_message(11);
    if (e.time_ns != 0) w.fixed64_field(1, e.time_ns);
    if (!e.name.empty()) w.string_field(2, e.name);
    write_attributes(w, 3, e.attributes);
    write_nonzero(w, 4, e.dropped_attributes);
    w.end_message(event);
  }
  write_nonzero(w, 12, s.dropped_events);
  for (const trace::Link& l : s.links) {
    const std::size_t link = w.begin_message(13);
    write_id_field(w, 1, l.context.trace_id());
    write_id_field(w, 2, l.context.span_id());
    if (!l.context.trace_state().empty()) w.string_field(3, l.context.trace_state());
    write_attributes(w, 4, l.attributes);
    write_nonzero(w, 5, l.dropped_attributes);
    w.fixed32_field(6, link_flags(l.context));
    w.end_message(link);
  }
  write_nonzero(w, 14, s.dropped_links);
  if (s.status != trace::StatusCode::kUnset || !s.status_message.empty()) {
    const std::size_t status = w.begin_message(15);
    if (!s.status_message.empty()) w.string_field(2, s.status_message);
    if (s.status != trace::StatusCode::kUnset)
      w.varint_field(3, static_cast<std::uint8_t>(s.status));
    w.end_message(status);
  }
  // The parent's remoteness is always known here, so HAS_IS_REMOTE is always set.
  w.fixed32_field(16, s.context.flags() | kSpanFlagsContextHasIsRemote |
                          (s.parent_is_remote ? kSpanFlagsContextIsRemote : 0U));
  w.end_message(span);
}

// The same message as write_span's, for a span held as a compact record: a record has no events,
// links or status description (a span that gets one moves to a SpanData).
void write_record_span(ProtoWriter& w, const trace::detail::SpanRecord& record) {
  const trace::detail::SpanRecord::Body& body = record.body;
  const std::size_t span = w.begin_message(2);  // ScopeSpans.spans
  write_id_field(w, 1, body.trace_id);
  write_id_field(w, 2, body.span_id);
  if (record.trace_state && !record.trace_state->empty()) w.string_field(3, *record.trace_state);
  if (body.parent_span_id.is_valid()) write_id_field(w, 4, body.parent_span_id);
  const std::string_view name = trace::detail::record_name(record);
  if (!name.empty()) w.string_field(5, name);
  w.varint_field(6, static_cast<std::uint8_t>(body.kind));
  if (body.start_ns != 0) w.fixed64_field(7, body.start_ns);
  if (body.end_ns != 0) w.fixed64_field(8, body.end_ns);
  trace::detail::for_each_attribute(record, [&](std::string_view key, auto value) {
    const std::size_t kv = w.begin_message(9);
    w.string_field(1, key);
    write_scalar_any_value(w, 2, value);
    w.end_message(kv);
  });
  write_nonzero(w, 10, body.dropped_attributes);
  if (body.status != trace::StatusCode::kUnset) {
    const std::size_t status = w.begin_message(15);
    w.varint_field(3, static_cast<std::uint8_t>(body.status));
    w.end_message(status);
  }
  w.fixed32_field(16, body.flags | kSpanFlagsContextHasIsRemote |
                          (body.parent_is_remote ? kSpanFlagsContextIsRemote : 0U));
  w.end_message(span);
}

}  // namespace

void write_key_values(ProtoWriter& w, std::uint32_t field, const Attributes& attributes) {
  write_attributes(w, field, attributes);
}

std::size_t varint_size(std::uint64_t value) noexcept {
  std::size_t n = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++n;
  }
  return n;
}

void append_valid_utf8(std::string_view text, std::string& out) {
  std::size_t run_start = 0;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = utf8_sequence_length(text, i);
    if (n != 0) {
      i += n;
      continue;
    }
    out.append(text.substr(run_start, i - run_start));
    out.append(kReplacementCharacter);
    run_start = ++i;
  }
  out.append(text.substr(run_start));
}

void ProtoWriter::varint(std::uint64_t value) {
  char buf[10];
  std::size_t n = 0;
  while (value >= 0x80) {
    buf[n++] = static_cast<char>((value & 0x7F) | 0x80);
    value >>= 7;
  }
  buf[n++] = static_cast<char>(value);
  out_.append(buf, n);
}

void ProtoWriter::fixed64_field(std::uint32_t field, std::uint64_t value) {
  tag(field, WireType::kFixed64);
  raw_fixed64(value);
}

void ProtoWriter::raw_double(double value) {
  std::uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  raw_fixed64(bits);
}

void ProtoWriter::raw_fixed64(std::uint64_t value) {
  char buf[8];
  for (std::size_t i = 0; i < 8; ++i) buf[i] = static_cast<char>((value >> (8 * i)) & 0xFF);
  out_.append(buf, 8);
}

void ProtoWriter::fixed32_field(std::uint32_t field, std::uint32_t value) {
  tag(field, WireType::kFixed32);
  char buf[4];
  for (std::size_t i = 0; i < 4; ++i) buf[i] = static_cast<char>((value >> (8 * i)) & 0xFF);
  out_.append(buf, 4);
}

void ProtoWriter::double_field(std::uint32_t field, double value) {
  static_assert(sizeof(double) == sizeof(std::uint64_t));
  std::uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  fixed64_field(field, bits);
}

void ProtoWriter::bytes_field(std::uint32_t field, const std::uint8_t* data, std::size_t size) {
  tag(field, WireType::kLengthDelimited);
  varint(size);
  out_.append(reinterpret_cast<const char*>(data), size);
}

void ProtoWriter::string_field(std::uint32_t field, std::string_view text) {
  tag(field, WireType::kLengthDelimited);
  if (is_valid_utf8(text)) [[likely]] {
    varint(text.size());
    out_.append(text);
    return;
  }
  std::string clean;
  clean.reserve(text.size() + 8);
  append_valid_utf8(text, clean);
  varint(clean.size());
  out_.append(clean);
}

std::size_t ProtoWriter::begin_message(std::uint32_t field) {
  tag(field, WireType::kLengthDelimited);
  const std::size_t token = out_.size();
  out_.push_back('\0');  // length placeholder, widened by end_message if needed
  return token;
}

void ProtoWriter::end_message(std::size_t token) {
  const std::size_t length = out_.size() - token - 1;
  const std::size_t width = varint_size(length);
  if (width > 1) out_.insert(token + 1, width - 1, '\0');
  std::uint64_t value = length;
  for (std::size_t i = 0; i < width; ++i) {
    const auto low = static_cast<std::uint8_t>(value & 0x7F);
    value >>= 7;
    out_[token + i] = static_cast<char>(i + 1 < width ? (low | 0x80) : low);
  }
}

void encode_trace_request(trace::SpanBatch batch, std::string& out) {
  encode_trace_request(MixedSpanBatch{batch, {}}, out);
}

void encode_trace_request(MixedSpanBatch batch, std::string& out) {
  out.clear();
  out.reserve(batch.size() * 256);
  ProtoWriter w(out);
  for (const ResourceGroup& rg : group_by_resource_and_scope(batch)) {
    const std::size_t resource_spans = w.begin_message(1);  // ExportTraceServiceRequest
    if (rg.resource != nullptr) {
      const std::size_t resource = w.begin_message(1);
      write_attributes(w, 1, rg.resource->attributes());
      w.end_message(resource);
    }
    for (const ScopeGroup& sg : rg.scopes) {
      const std::size_t scope_spans = w.begin_message(2);
      if (sg.scope != nullptr) {
        const std::size_t scope = w.begin_message(1);
        if (!sg.scope->name.empty()) w.string_field(1, sg.scope->name);
        if (!sg.scope->version.empty()) w.string_field(2, sg.scope->version);
        w.end_message(scope);
      }
      for (const trace::SpanData* span : sg.spans) write_span(w, *span);
      for (const trace::detail::SpanRecord* record : sg.records) write_record_span(w, *record);
      w.end_message(scope_spans);
    }
    w.end_message(resource_spans);
  }
}

}  // namespace lumen::exporters::detail
