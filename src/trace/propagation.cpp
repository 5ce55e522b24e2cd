// inject and extract: the W3C trace context and baggage headers on any carrier.
#include <memory>

#include "lumen/trace/propagation.hpp"

namespace lumen::propagation {
namespace {

std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

SpanContext extract_span(const TextMapGetter& carrier) {
  const auto traceparent = carrier.get(kTraceParentHeader);
  if (!traceparent) return {};
  std::optional<SpanContext> parent = parse_traceparent(*traceparent);
  if (!parent) return {};
  // tracestate is kept verbatim when valid and dropped whole when not: a partial list could
  // misrepresent another vendor's state.
  if (const auto tracestate = carrier.get(kTraceStateHeader)) {
    const std::string_view value = trim_ows(*tracestate);
    if (!value.empty() && is_valid_tracestate(value)) {
      return SpanContext(parent->trace_id(), parent->span_id(), parent->flags(), /*remote=*/true,
                         std::make_shared<const std::string>(value));
    }
  }
  return *parent;
}

}  // namespace

void inject(const Context& context, TextMapSetter& carrier) noexcept {
  try {
    const SpanContext& span = context.span();
    if (span.is_valid()) {
      carrier.set(kTraceParentHeader, format_traceparent(span));
      if (!span.trace_state().empty()) carrier.set(kTraceStateHeader, span.trace_state());
    }
    if (!context.baggage().empty()) {
      const std::string baggage = format_baggage(context.baggage());
      if (!baggage.empty()) carrier.set(kBaggageHeader, baggage);
    }
  } catch (...) {
    // Out of memory or a throwing carrier: propagation is best effort and must not fail the call
    // it decorates.
  }
}

Context extract(const TextMapGetter& carrier, const Context& base) noexcept {
  try {
    Context result = base.with_span(extract_span(carrier));
    if (const auto header = carrier.get(kBaggageHeader)) {
      Baggage baggage = parse_baggage(*header);
      if (!baggage.empty()) result = result.with_baggage(std::move(baggage));
    }
    return result;
  } catch (...) {
    return base.with_span(SpanContext{});
  }
}

}  // namespace lumen::propagation
