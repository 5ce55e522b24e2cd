// A vendor's own tracestate member, changed as W3C Trace Context's "Mutating the tracestate Field"
// says before the list is sent on: tracestate_with puts `key=value` at the beginning of the
// normalised list (moving an existing member of `key` there) and removes the right-most members
// past 32; tracestate_without removes the member of `key`; tracestate_value reads one.
//
//   namespace prop = lumen::propagation;
//   lumen::SpanContext ctx = span.context();
//   std::string state = prop::tracestate_with(ctx.trace_state(), "myvendor", "r:42");
//   prop::inject(lumen::Context::current().with_span(prop::with_trace_state(ctx, state)),
//                outgoing_headers);  // tracestate: myvendor=r:42,<the members received>
//
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "lumen/core/span_context.hpp"

namespace lumen::propagation {

// `list` normalised (see normalize_tracestate) with `key=value` as its left-most member, any
// other member of `key` removed, and cut to 32 members and 512 characters from the right.
// Throws lumen::Error if the key or the value does not follow the W3C grammar.
[[nodiscard]] std::string tracestate_with(std::string_view list, std::string_view key,
                                          std::string_view value);
// `list` normalised without the member of `key`.
[[nodiscard]] std::string tracestate_without(std::string_view list, std::string_view key);
// The value of the member of `key`; nullopt if there is none or `list` is not a valid tracestate.
[[nodiscard]] std::optional<std::string> tracestate_value(std::string_view list,
                                                          std::string_view key);
// The same span context with `trace_state` as its tracestate (none when empty).
[[nodiscard]] SpanContext with_trace_state(const SpanContext& span, std::string trace_state);

}  // namespace lumen::propagation
