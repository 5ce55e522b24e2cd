// B3 (https://github.com/openzipkin/b3-propagation): the single `b3` header and the X-B3-* headers.
// lumen keeps no debug flag: a debug trace ('d', X-B3-Flags: 1) continues as sampled, and is sent
// on as sampled. A trace id of 16 hex digits (64 bits) is left-padded to 128 bits.
#include <vector>

#include "core/ascii.hpp"
#include "header_formats.hpp"
#include "lumen/trace/propagator.hpp"

namespace lumen::propagation::detail {
namespace {

// The one value of a header, trimmed; nullopt if absent or repeated (neither line can be trusted).
std::optional<std::string_view> single_value(const TextMapGetter& carrier, std::string_view key) {
  const std::vector<std::string_view> values = carrier.get_all(key);
  if (values.size() != 1) return std::nullopt;
  return ascii::trim_ows(values.front());
}

std::optional<TraceId> parse_b3_trace_id(std::string_view hex) {
  if (hex.size() != 16 && hex.size() != 32) return std::nullopt;
  return parse_padded_id<TraceId>(hex);
}

std::optional<SpanId> parse_b3_span_id(std::string_view hex) {
  if (hex.size() != 16) return std::nullopt;
  return parse_padded_id<SpanId>(hex);
}

std::uint8_t sampled_flags(bool sampled) noexcept {
  return sampled ? SpanContext::kSampledFlag : 0;
}

}  // namespace

// b3: {TraceId}-{SpanId}-{SamplingState}
void inject_b3_single(const Context& context, TextMapSetter& carrier) {
  const SpanContext& span = context.span();
  if (!span.is_valid()) return;
  std::string value = span.trace_id().to_hex();
  value += '-';
  value += span.span_id().to_hex();
  value += span.is_sampled() ? "-1" : "-0";
  carrier.set(kB3Header, value);
}

namespace {

// b3: {TraceId}-{SpanId}[-{SamplingState}[-{ParentSpanId}]], or a sampling state alone ("0", "1",
// "d"), which has no trace to continue.
std::optional<SpanContext> read_b3_single(const TextMapGetter& carrier) {
  const std::optional<std::string_view> header = single_value(carrier, kB3Header);
  if (!header) return std::nullopt;
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (start <= header->size() && fields.size() < 5) {
    std::size_t dash = header->find('-', start);
    if (dash == std::string_view::npos) dash = header->size();
    fields.push_back(header->substr(start, dash - start));
    start = dash + 1;
  }
  if (fields.size() < 2 || fields.size() > 4) return std::nullopt;
  const std::optional<TraceId> trace_id = parse_b3_trace_id(fields[0]);
  const std::optional<SpanId> span_id = parse_b3_span_id(fields[1]);
  if (!trace_id || !span_id) return std::nullopt;
  bool sampled = false;
  if (fields.size() >= 3) {
    if (fields[2] == "1" || fields[2] == "d") {
      sampled = true;
    } else if (fields[2] != "0") {
      return std::nullopt;
    }
  }
  if (fields.size() == 4 && !parse_b3_span_id(fields[3])) return std::nullopt;
  return SpanContext(*trace_id, *span_id, sampled_flags(sampled), /*remote=*/true);
}

}  // namespace

void inject_b3_multi(const Context& context, TextMapSetter& carrier) {
  const SpanContext& span = context.span();
  if (!span.is_valid()) return;
  carrier.set(kB3TraceIdHeader, span.trace_id().to_hex());
  carrier.set(kB3SpanIdHeader, span.span_id().to_hex());
  carrier.set(kB3SampledHeader, span.is_sampled() ? "1" : "0");
}

namespace {

// X-B3-ParentSpanId is not needed to continue a trace and is ignored. X-B3-Sampled may also be
// "true" or "false", as tracers wrote it before the specification (which asks to accept them).
std::optional<SpanContext> read_b3_multi(const TextMapGetter& carrier) {
  const auto trace_header = single_value(carrier, kB3TraceIdHeader);
  const auto span_header = single_value(carrier, kB3SpanIdHeader);
  if (!trace_header || !span_header) return std::nullopt;
  const std::optional<TraceId> trace_id = parse_b3_trace_id(*trace_header);
  const std::optional<SpanId> span_id = parse_b3_span_id(*span_header);
  if (!trace_id || !span_id) return std::nullopt;
  bool sampled = false;
  if (const auto flags = single_value(carrier, kB3FlagsHeader); flags && *flags == "1") {
    sampled = true;  // debug implies sampled
  } else if (const auto state = single_value(carrier, kB3SampledHeader)) {
    if (*state == "1" || *state == "true") {
      sampled = true;
    } else if (*state != "0" && *state != "false") {
      return std::nullopt;
    }
  }
  return SpanContext(*trace_id, *span_id, sampled_flags(sampled), /*remote=*/true);
}

}  // namespace

// The OpenTelemetry propagators specification: whichever encoding a B3 propagator writes, it reads
// both, the single header first, so that b3 and b3multi services continue each other's traces.
Context extract_b3(const TextMapGetter& carrier, Context context) {
  std::optional<SpanContext> parent = read_b3_single(carrier);
  if (!parent) parent = read_b3_multi(carrier);
  if (!parent) return context;
  return context.with_span(*parent);
}

}  // namespace lumen::propagation::detail
