// Jaeger's headers (https://www.jaegertracing.io/docs/client-libraries/#propagation-format):
// uber-trace-id: {trace-id}:{span-id}:{parent-span-id}:{flags}, and a baggage item per
// uberctx-{key} header with a percent-encoded value. Ids may leave out leading zeros (a 64-bit
// trace id is 16 digits or fewer); they are left-padded. Flags bit 0 is sampled, bit 1 debug
// (continued as sampled). The parent span id is deprecated and ignored; lumen sends 0.
#include <vector>

#include "core/ascii.hpp"
#include "header_formats.hpp"
#include "lumen/trace/propagator.hpp"

namespace lumen::propagation::detail {
namespace {

constexpr std::uint8_t kJaegerSampled = 0x01;
constexpr std::uint8_t kJaegerDebug = 0x02;

bool is_unreserved(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool has_prefix_ignoring_case(std::string_view s, std::string_view lower_prefix) noexcept {
  if (s.size() < lower_prefix.size()) return false;
  for (std::size_t i = 0; i < lower_prefix.size(); ++i) {
    const char c = (s[i] >= 'A' && s[i] <= 'Z') ? static_cast<char>(s[i] - 'A' + 'a') : s[i];
    if (c != lower_prefix[i]) return false;
  }
  return true;
}

std::optional<SpanContext> parse_uber_trace_id(std::string_view value) {
  std::string decoded;
  if (value.find(':') == std::string_view::npos) {
    decoded = ascii::percent_decode(value);  // some clients send the colons URL-encoded, as %3A
    value = decoded;
  }
  std::string_view fields[4];
  std::size_t count = 0;
  std::size_t start = 0;
  while (start <= value.size()) {
    std::size_t colon = value.find(':', start);
    if (colon == std::string_view::npos) colon = value.size();
    if (count == 4) return std::nullopt;
    fields[count++] = value.substr(start, colon - start);
    start = colon + 1;
  }
  if (count != 4) return std::nullopt;
  const std::optional<TraceId> trace_id = parse_padded_id<TraceId>(fields[0]);
  const std::optional<SpanId> span_id = parse_padded_id<SpanId>(fields[1]);
  if (!trace_id || !span_id || fields[3].empty() || fields[3].size() > 2) return std::nullopt;
  std::uint8_t flags = 0;
  for (const char c : fields[3]) {
    const int digit = ascii::hex_value(c);
    if (digit < 0) return std::nullopt;
    flags = static_cast<std::uint8_t>((flags << 4) | digit);
  }
  const bool sampled = (flags & (kJaegerSampled | kJaegerDebug)) != 0;
  return SpanContext(*trace_id, *span_id, sampled ? SpanContext::kSampledFlag : 0, /*remote=*/true);
}

}  // namespace

void inject_jaeger(const Context& context, TextMapSetter& carrier) {
  const SpanContext& span = context.span();
  if (span.is_valid()) {
    std::string value = span.trace_id().to_hex();
    value += ':';
    value += span.span_id().to_hex();
    value += span.is_sampled() ? ":0:1" : ":0:0";
    carrier.set(kJaegerHeader, value);
  }
  std::size_t written = 0;
  std::string name;
  std::string value;
  for (const Baggage::Entry& entry : context.baggage().entries()) {
    if (written == kMaxBaggageMembers) break;
    if (!ascii::is_token(entry.key)) continue;  // a header name
    name.assign(kJaegerBaggagePrefix);
    name += entry.key;
    value.clear();
    ascii::percent_encode(entry.value, is_unreserved, value);
    carrier.set(name, value);
    ++written;
  }
}

// The uberctx- items are added to the context's baggage (replacing items of the same key).
Context extract_jaeger(const TextMapGetter& carrier, Context context) {
  const std::vector<std::string_view> trace_headers = carrier.get_all(kJaegerHeader);
  if (trace_headers.size() == 1) {
    if (auto span = parse_uber_trace_id(ascii::trim_ows(trace_headers.front()))) {
      context = context.with_span(*span);
    }
  }
  std::vector<Baggage::Entry> entries;
  for (const std::string_view name : carrier.keys()) {
    if (!has_prefix_ignoring_case(name, kJaegerBaggagePrefix)) continue;
    const std::string_view key = name.substr(kJaegerBaggagePrefix.size());
    if (key.empty()) continue;
    if (entries.empty()) entries = context.baggage().entries();
    if (entries.size() >= kMaxBaggageMembers) break;
    const std::optional<std::string_view> value = carrier.get(name);
    if (!value) continue;
    entries.push_back(
        Baggage::Entry{std::string(key), ascii::percent_decode(ascii::trim_ows(*value)), {}});
  }
  if (!entries.empty()) context = context.with_baggage(Baggage(std::move(entries)));
  return context;
}

}  // namespace lumen::propagation::detail
