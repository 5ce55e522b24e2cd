// The composite of header formats, and OTEL_PROPAGATORS's names for them.
#include "lumen/trace/propagator.hpp"

#include "core/ascii.hpp"
#include "header_formats.hpp"

namespace lumen::propagation {
namespace {

constexpr Format kAllFormats[] = {Format::kTraceContext, Format::kBaggage, Format::kB3,
                                  Format::kB3Multi, Format::kJaeger};

}  // namespace

std::string_view format_name(Format format) noexcept {
  switch (format) {
    case Format::kTraceContext:
      return "tracecontext";
    case Format::kBaggage:
      return "baggage";
    case Format::kB3:
      return "b3";
    case Format::kB3Multi:
      return "b3multi";
    case Format::kJaeger:
      return "jaeger";
  }
  return "unknown";
}

Propagator::Propagator() noexcept : Propagator({Format::kTraceContext, Format::kBaggage}) {}

Propagator::Propagator(std::initializer_list<Format> formats) noexcept
    : Propagator(std::span<const Format>(formats.begin(), formats.size())) {}

Propagator::Propagator(std::span<const Format> formats) noexcept {
  for (const Format format : formats) add(format);
}

void Propagator::add(Format format) noexcept {
  if (std::find(formats().begin(), formats().end(), format) != formats().end()) return;
  formats_[count_++] = format;  // at most one of each: the array holds them all
}

Propagator Propagator::from_names(std::string_view names, std::string* unknown) {
  Propagator result(std::span<const Format>{});
  std::size_t start = 0;
  while (start <= names.size()) {
    std::size_t comma = names.find(',', start);
    if (comma == std::string_view::npos) comma = names.size();
    const std::string_view name = ascii::trim_ows(names.substr(start, comma - start));
    start = comma + 1;
    if (name.empty() || ascii::iequals(name, "none")) continue;
    const auto* known = std::find_if(std::begin(kAllFormats), std::end(kAllFormats), [&](Format f) {
      return ascii::iequals(name, format_name(f));
    });
    if (known != std::end(kAllFormats)) {
      result.add(*known);
    } else if (unknown != nullptr) {
      if (!unknown->empty()) *unknown += ',';
      *unknown += name;
    }
  }
  return result;
}

std::string Propagator::names() const {
  if (count_ == 0) return "none";
  std::string out;
  for (const Format format : formats()) {
    if (!out.empty()) out += ',';
    out += format_name(format);
  }
  return out;
}

void Propagator::inject(const Context& context, TextMapSetter& carrier) const noexcept {
  try {
    for (const Format format : formats()) {
      switch (format) {
        case Format::kTraceContext:
          detail::inject_trace_context(context, carrier);
          break;
        case Format::kBaggage:
          detail::inject_baggage(context, carrier);
          break;
        case Format::kB3:
          detail::inject_b3_single(context, carrier);
          break;
        case Format::kB3Multi:
          detail::inject_b3_multi(context, carrier);
          break;
        case Format::kJaeger:
          detail::inject_jaeger(context, carrier);
          break;
      }
    }
  } catch (...) {
    // Out of memory or a throwing carrier: propagation is best effort and must not fail the call
    // it decorates.
  }
}

Context Propagator::extract(const TextMapGetter& carrier, const Context& base) const noexcept {
  try {
    // The caller's own span is never the remote parent: without a valid header, a new trace starts.
    Context result = base.with_span(SpanContext{});
    for (const Format format : formats()) {
      switch (format) {
        case Format::kTraceContext:
          result = detail::extract_trace_context(carrier, std::move(result));
          break;
        case Format::kBaggage:
          result = detail::extract_baggage(carrier, std::move(result));
          break;
        case Format::kB3:
        case Format::kB3Multi:
          result = detail::extract_b3(carrier, std::move(result));
          break;
        case Format::kJaeger:
          result = detail::extract_jaeger(carrier, std::move(result));
          break;
      }
    }
    return result;
  } catch (...) {
    return base.with_span(SpanContext{});
  }
}

}  // namespace lumen::propagation
