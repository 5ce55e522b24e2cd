// Tracer: starts spans for one instrumentation scope. Obtained from a TracerProvider, which owns
// it.
//
// `start` picks the parent from the current context unless told otherwise; `trace` runs a function
// inside a new span that is current for the call, marks it OK, or on an exception marks it ERROR,
// records the exception and rethrows.
// Thread-safety: all methods may be called concurrently.
//
//   lumen::trace::Tracer& tracer = provider.tracer("checkout");
//   int tokens = tracer.trace("ai.provider.analyze", [&](lumen::trace::Span& span) {
//     span.set("ai.model", "gemini-2.0-flash");
//     return 812;
//   });
#pragma once

#include <optional>
#include <string_view>
#include <type_traits>
#include <vector>

#include "lumen/core/context.hpp"
#include "lumen/trace/span.hpp"
#include "lumen/trace/span_data.hpp"

namespace lumen::trace {

struct StartOptions {
  SpanKind kind = SpanKind::kInternal;
  // The parent context; unset means Context::current(). Pass an empty Context for a new root.
  // Only its span is used: the new span does not carry the context's baggage, so to continue a
  // request's baggage activate the extracted context instead (see lumen/trace/propagation.hpp).
  std::optional<Context> parent;
  Attributes attributes;  // visible to the sampler's caller, set before the span starts
  std::vector<Link> links;
  std::uint64_t start_ns = 0;  // wall clock; 0 means now
};

namespace detail {
struct TracerShared;
// Records the exception on the span and sets ERROR with its message (the trace() helper's catch).
void mark_failed(Span& span, const std::exception_ptr& error) noexcept;
}  // namespace detail

class Tracer {
 public:
  Tracer(InstrumentationScope scope, const detail::TracerShared* shared) noexcept
      : scope_(std::move(scope)), shared_(shared) {}
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  [[nodiscard]] Span start(std::string_view name) const {
    return start_span(name, nullptr, Context::current().span());
  }
  [[nodiscard]] Span start(std::string_view name, const StartOptions& options) const {
    return start_span(name, &options,
                      options.parent ? options.parent->span() : Context::current().span());
  }

  template <typename F>
  decltype(auto) trace(std::string_view name, F&& fn) const {
    return run_in(start(name), std::forward<F>(fn));
  }
  template <typename F>
  decltype(auto) trace(std::string_view name, F&& fn, const StartOptions& options) const {
    return run_in(start(name, options), std::forward<F>(fn));
  }

  [[nodiscard]] const InstrumentationScope& scope() const noexcept { return scope_; }

 private:
  friend class Span;
  // `options` null means the defaults: building a StartOptions per call would cost more than the
  // rest of an unsampled span. The caller reads the current context, and a span that the sampler
  // is known to drop starts without a call, and without the six saved registers and the frame that
  // the full path needs; the others go on to start_span_in_full.
  Span start_span(std::string_view name, const StartOptions* options,
                  const SpanContext& parent) const;
  Span start_span_in_full(std::string_view name, const StartOptions* options,
                          const SpanContext& parent) const;
  template <typename F>
  static decltype(auto) run_in(Span span, F&& fn);
  InstrumentationScope scope_;
  const detail::TracerShared* shared_;
};

template <typename F>
decltype(auto) Tracer::run_in(Span span, F&& fn) {
  auto scope = span.activate();
  try {
    if constexpr (std::is_invocable_v<F, Span&>) {
      using R = std::invoke_result_t<F, Span&>;
      if constexpr (std::is_void_v<R>) {
        std::forward<F>(fn)(span);
        span.set_status(StatusCode::kOk);
      } else {
        R result = std::forward<F>(fn)(span);
        span.set_status(StatusCode::kOk);
        return result;
      }
    } else {
      using R = std::invoke_result_t<F>;
      if constexpr (std::is_void_v<R>) {
        std::forward<F>(fn)();
        span.set_status(StatusCode::kOk);
      } else {
        R result = std::forward<F>(fn)();
        span.set_status(StatusCode::kOk);
        return result;
      }
    }
  } catch (...) {
    detail::mark_failed(span, std::current_exception());
    throw;
  }
}

}  // namespace lumen::trace
