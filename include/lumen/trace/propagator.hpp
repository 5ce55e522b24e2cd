// Propagator: the header formats a service reads and writes, in order, as OTEL_PROPAGATORS names
// them: "tracecontext" (W3C traceparent and tracestate), "baggage" (W3C baggage), "b3" (the single
// B3 header), "b3multi" (X-B3-TraceId, X-B3-SpanId, X-B3-Sampled, X-B3-Flags), "jaeger"
// (uber-trace-id and the uberctx-<key> baggage headers) and "none". The default is
// tracecontext,baggage: what lumen::propagation::inject and extract do.
//
// inject writes every format. extract starts from `base` without its span and applies each format
// in order: a format whose headers are absent or invalid changes nothing, so when several formats
// carry a trace the last one listed wins (the OpenTelemetry composite's rule). b3 and b3multi read
// both B3 encodings (single header first). No tracestate or random flag from B3 or Jaeger.
// A value type of a few bytes: copy it freely. Thread-safety: const methods may run concurrently.
//
//   // Usually the Runtime's, built from OTEL_PROPAGATORS:
//   const lumen::propagation::Propagator& propagator = runtime.propagator();
//   auto request_scope = propagator.extract(request_headers).activate();
//   auto span = tracer.start("POST /orders", {.kind = lumen::trace::SpanKind::kServer});
//   auto span_scope = span.activate();
//   propagator.inject(lumen::Context::current(), outgoing_headers);
//
//   // Or named in code:
//   lumen::propagation::Propagator b3({lumen::propagation::Format::kB3Multi});
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include "lumen/core/context.hpp"
#include "lumen/trace/propagation.hpp"

namespace lumen::propagation {

enum class Format : std::uint8_t { kTraceContext, kBaggage, kB3, kB3Multi, kJaeger };

inline constexpr std::string_view kB3Header = "b3";
inline constexpr std::string_view kB3TraceIdHeader = "x-b3-traceid";
inline constexpr std::string_view kB3SpanIdHeader = "x-b3-spanid";
inline constexpr std::string_view kB3SampledHeader = "x-b3-sampled";
inline constexpr std::string_view kB3FlagsHeader = "x-b3-flags";
inline constexpr std::string_view kJaegerHeader = "uber-trace-id";
inline constexpr std::string_view kJaegerBaggagePrefix = "uberctx-";

// The OTEL_PROPAGATORS name of a format ("tracecontext", "b3multi", ...).
[[nodiscard]] std::string_view format_name(Format format) noexcept;

class Propagator {
 public:
  // tracecontext,baggage.
  Propagator() noexcept;
  // These formats in this order; a repeated one counts once. Empty: propagates nothing ("none").
  explicit Propagator(std::initializer_list<Format> formats) noexcept;
  explicit Propagator(std::span<const Format> formats) noexcept;

  // Parses an OTEL_PROPAGATORS value: names separated by commas, case and surrounding spaces
  // ignored, "none" contributing nothing. Unknown names are skipped and, when `unknown` is given,
  // written there comma-separated, for the caller to warn about.
  [[nodiscard]] static Propagator from_names(std::string_view names,
                                             std::string* unknown = nullptr);

  void inject(const Context& context, TextMapSetter& carrier) const noexcept;
  [[nodiscard]] Context extract(const TextMapGetter& carrier,
                                const Context& base = {}) const noexcept;

  template <HeaderContainer H>
  void inject(const Context& context, H& headers) const noexcept {
    HeaderSetter<H> setter(headers);
    inject(context, static_cast<TextMapSetter&>(setter));
  }
  template <HeaderContainer H>
  [[nodiscard]] Context extract(const H& headers, const Context& base = {}) const noexcept {
    const HeaderGetter<H> getter(headers);
    return extract(static_cast<const TextMapGetter&>(getter), base);
  }

  [[nodiscard]] std::span<const Format> formats() const noexcept {
    return {formats_.data(), count_};
  }
  // The formats' names joined by commas, "none" when there is none.
  [[nodiscard]] std::string names() const;

  friend bool operator==(const Propagator& a, const Propagator& b) noexcept {
    return std::equal(a.formats().begin(), a.formats().end(), b.formats().begin(),
                      b.formats().end());
  }

 private:
  void add(Format format) noexcept;

  std::array<Format, 5> formats_{};
  std::size_t count_ = 0;
};

}  // namespace lumen::propagation
