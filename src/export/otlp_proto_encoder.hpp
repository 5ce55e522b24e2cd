// The protobuf wire format, written by hand for the small OTLP message subset, and the encoder of
// ExportTraceServiceRequest. Keeping our own writer means a program that exports OTLP links
// libcurl and zlib, not libprotobuf (opentelemetry-cpp's heaviest build dependency).
//
//   std::string body;
//   lumen::exporters::detail::encode_trace_request(batch, body);   // application/x-protobuf
//
//   ProtoWriter w(out);                    // appends to `out`
//   w.string_field(1, "name");
//   std::size_t m = w.begin_message(2);   // nested message; its length is patched in end_message
//   w.varint_field(1, 300);
//   w.end_message(m);
//
// Thread-safety: none needed; a writer and its buffer belong to one call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "export/mixed_span_batch.hpp"
#include "lumen/trace/span_exporter.hpp"

namespace lumen::exporters::detail {

enum class WireType : std::uint8_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kFixed32 = 5
};

// Appends protobuf fields to a caller-owned buffer. Nested messages are written in place: a
// one-byte length placeholder is reserved and widened when the message turns out longer than 127
// bytes, so no message is encoded twice and no temporary buffer is needed.
class ProtoWriter {
 public:
  explicit ProtoWriter(std::string& out) noexcept : out_(out) {}

  void varint(std::uint64_t value);
  void tag(std::uint32_t field, WireType type) {
    varint((static_cast<std::uint64_t>(field) << 3) | static_cast<std::uint8_t>(type));
  }

  void varint_field(std::uint32_t field, std::uint64_t value) {
    tag(field, WireType::kVarint);
    varint(value);
  }
  // int64 is a plain two's-complement varint (10 bytes when negative), not zigzag.
  void int64_field(std::uint32_t field, std::int64_t value) {
    varint_field(field, static_cast<std::uint64_t>(value));
  }
  void bool_field(std::uint32_t field, bool value) { varint_field(field, value ? 1 : 0); }
  void fixed64_field(std::uint32_t field, std::uint64_t value);
  // A fixed64 or double without a tag: the elements of a packed repeated field.
  void raw_fixed64(std::uint64_t value);
  void raw_double(double value);
  void fixed32_field(std::uint32_t field, std::uint32_t value);
  void double_field(std::uint32_t field, double value);
  // Raw bytes (ids).
  void bytes_field(std::uint32_t field, const std::uint8_t* data, std::size_t size);
  // Text: invalid UTF-8 is replaced with U+FFFD, because receivers written with the official
  // protobuf libraries reject a whole request that carries one malformed string.
  void string_field(std::uint32_t field, std::string_view text);

  // Starts a length-delimited nested message; returns a token for end_message.
  [[nodiscard]] std::size_t begin_message(std::uint32_t field);
  void end_message(std::size_t token);

  [[nodiscard]] std::size_t size() const noexcept { return out_.size(); }

 private:
  std::string& out_;
};

[[nodiscard]] std::size_t varint_size(std::uint64_t value) noexcept;
// Appends `text` to `out`, replacing each ill-formed UTF-8 sequence with U+FFFD.
void append_valid_utf8(std::string_view text, std::string& out);

// Writes each attribute as a KeyValue message in `field` (shared by the trace and metrics
// encoders).
void write_key_values(ProtoWriter& w, std::uint32_t field, const Attributes& attributes);

// Span.flags bits beyond the W3C trace flags (opentelemetry-proto SpanFlags).
inline constexpr std::uint32_t kSpanFlagsContextHasIsRemote = 0x100;
inline constexpr std::uint32_t kSpanFlagsContextIsRemote = 0x200;

// Replaces `out` with the ExportTraceServiceRequest for `batch`: one ResourceSpans per resource,
// one ScopeSpans per instrumentation scope, spans in batch order. Reuses out's capacity.
void encode_trace_request(trace::SpanBatch batch, std::string& out);
// The same for a batch in SpanData and compact records; a record's span is written as the same
// span in a SpanData would be. Within a scope, the SpanData spans come first.
void encode_trace_request(MixedSpanBatch batch, std::string& out);

}  // namespace lumen::exporters::detail
