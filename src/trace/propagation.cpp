// The W3C formats on any carrier: traceparent and tracestate, baggage; and the free inject and
// extract, which are the default Propagator's.
#include <memory>
#include <string>
#include <vector>

#include "header_formats.hpp"
#include "lumen/trace/propagation.hpp"
#include "lumen/trace/propagator.hpp"

namespace lumen::propagation {
namespace detail {

std::optional<std::string> combined_field(const TextMapGetter& carrier, std::string_view key) {
  const std::vector<std::string_view> lines = carrier.get_all(key);
  if (lines.empty()) return std::nullopt;
  std::string value(lines.front());
  for (std::size_t i = 1; i < lines.size(); ++i) {
    value += ',';
    value += lines[i];
  }
  return value;
}

void inject_trace_context(const Context& context, TextMapSetter& carrier) {
  const SpanContext& span = context.span();
  if (!span.is_valid()) return;
  carrier.set(kTraceParentHeader, format_traceparent(span));
  if (!span.trace_state().empty()) carrier.set(kTraceStateHeader, span.trace_state());
}

Context extract_trace_context(const TextMapGetter& carrier, Context context) {
  // traceparent is not a list: two of them cannot both be the parent, so neither is.
  const std::vector<std::string_view> traceparents = carrier.get_all(kTraceParentHeader);
  if (traceparents.size() != 1) return context;
  std::optional<SpanContext> parent = parse_traceparent(traceparents.front());
  if (!parent) return context;
  if (const auto tracestate = combined_field(carrier, kTraceStateHeader)) {
    std::string value = normalize_tracestate(*tracestate);
    if (!value.empty()) {
      return context.with_span(SpanContext(parent->trace_id(), parent->span_id(), parent->flags(),
                                           /*remote=*/true,
                                           std::make_shared<const std::string>(std::move(value))));
    }
  }
  return context.with_span(*parent);
}

void inject_baggage(const Context& context, TextMapSetter& carrier) {
  if (context.baggage().empty()) return;
  const std::string baggage = format_baggage(context.baggage());
  if (!baggage.empty()) carrier.set(kBaggageHeader, baggage);
}

// A valid header replaces the context's baggage; without one the context's is kept.
Context extract_baggage(const TextMapGetter& carrier, Context context) {
  if (const auto header = combined_field(carrier, kBaggageHeader)) {
    Baggage baggage = parse_baggage(*header);
    if (!baggage.empty()) return context.with_baggage(std::move(baggage));
  }
  return context;
}

}  // namespace detail

void inject(const Context& context, TextMapSetter& carrier) noexcept {
  Propagator().inject(context, carrier);
}

Context extract(const TextMapGetter& carrier, const Context& base) noexcept {
  return Propagator().extract(carrier, base);
}

}  // namespace lumen::propagation
