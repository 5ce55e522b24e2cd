// W3C Trace Context: the traceparent header. https://www.w3.org/TR/trace-context-2/
#include <cstdint>

#include "core/ascii.hpp"
#include "lumen/trace/propagation.hpp"

namespace lumen::propagation {
namespace {

using ascii::trim_ows;

// version(2) '-' trace-id(32) '-' parent-id(16) '-' flags(2)
constexpr std::size_t kTraceParentSize = 55;
constexpr std::size_t kTraceIdOffset = 3;
constexpr std::size_t kSpanIdOffset = 36;
constexpr std::size_t kFlagsOffset = 53;

bool parse_hex_byte(std::string_view two, std::uint8_t& out) noexcept {
  return lumen::detail::parse_lower_hex(two, &out, 1);
}

}  // namespace

std::string format_traceparent(const SpanContext& span) {
  if (!span.is_valid()) return {};
  std::string out(kTraceParentSize, '-');
  out[0] = '0';
  out[1] = '0';
  span.trace_id().to_hex(out.data() + kTraceIdOffset);
  span.span_id().to_hex(out.data() + kSpanIdOffset);
  // "The behavior of other flags [...] is not defined [...]. Vendors MUST set those to zero."
  const std::uint8_t flags = span.flags() & SpanContext::kKnownFlags;
  lumen::detail::write_hex(&flags, 1, out.data() + kFlagsOffset);
  return out;
}

std::optional<SpanContext> parse_traceparent(std::string_view header) noexcept {
  header = trim_ows(header);
  if (header.size() < kTraceParentSize) return std::nullopt;

  std::uint8_t version = 0;
  if (!parse_hex_byte(header.substr(0, 2), version) || version == 0xff) return std::nullopt;
  // Version 00 is exactly 55 characters. A later version may append fields, each after a '-';
  // we read the fields we know and ignore the rest, as the specification asks.
  if (version == 0 && header.size() != kTraceParentSize) return std::nullopt;
  if (header.size() > kTraceParentSize && header[kTraceParentSize] != '-') return std::nullopt;
  if (header[2] != '-' || header[kSpanIdOffset - 1] != '-' || header[kFlagsOffset - 1] != '-') {
    return std::nullopt;
  }

  auto trace_id = TraceId::from_hex(header.substr(kTraceIdOffset, 32));
  auto span_id = SpanId::from_hex(header.substr(kSpanIdOffset, 16));
  std::uint8_t flags = 0;
  if (!trace_id || !span_id || !parse_hex_byte(header.substr(kFlagsOffset, 2), flags)) {
    return std::nullopt;
  }
  if (!trace_id->is_valid() || !span_id->is_valid()) return std::nullopt;
  // Only the flags this version defines are read (for a later version too: its other bits may
  // mean something we would misreport when we forward the context as version 00).
  flags &= SpanContext::kKnownFlags;
  return SpanContext(*trace_id, *span_id, flags, /*remote=*/true);
}

}  // namespace lumen::propagation
