// The header formats a Propagator composes, each on its own: inject writes the format's headers,
// extract returns `context` with what the format's headers carry (unchanged when they are absent
// or invalid). They may throw (a carrier that throws, out of memory); Propagator catches.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "lumen/core/ids.hpp"

#include "lumen/core/context.hpp"
#include "lumen/trace/propagation.hpp"

namespace lumen::propagation::detail {

// A list field sent on several lines, as one value: the lines joined by commas (RFC 9110 section
// 5.3). nullopt when the field is absent.
std::optional<std::string> combined_field(const TextMapGetter& carrier, std::string_view key);

// An id from 1 to 2 * Id::kSize lower-case hex digits, left-padded with zeros: B3 and Jaeger send
// 64-bit trace ids, and Jaeger leaves out leading zeros. nullopt if it is not such hex or all
// zeros.
template <typename IdType>
std::optional<IdType> parse_padded_id(std::string_view hex) {
  constexpr std::size_t kDigits = 2 * IdType::kSize;
  if (hex.empty() || hex.size() > kDigits) return std::nullopt;
  std::string padded(kDigits - hex.size(), '0');
  padded += hex;
  std::optional<IdType> id = IdType::from_hex(padded);
  if (!id || !id->is_valid()) return std::nullopt;
  return id;
}

void inject_trace_context(const Context& context, TextMapSetter& carrier);
Context extract_trace_context(const TextMapGetter& carrier, Context context);

void inject_baggage(const Context& context, TextMapSetter& carrier);
Context extract_baggage(const TextMapGetter& carrier, Context context);

void inject_b3_single(const Context& context, TextMapSetter& carrier);
void inject_b3_multi(const Context& context, TextMapSetter& carrier);
// Either B3 encoding, the single header first (for both "b3" and "b3multi").
Context extract_b3(const TextMapGetter& carrier, Context context);

void inject_jaeger(const Context& context, TextMapSetter& carrier);
Context extract_jaeger(const TextMapGetter& carrier, Context context);

}  // namespace lumen::propagation::detail
