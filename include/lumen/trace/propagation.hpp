// Propagation: carrying the context across process boundaries in HTTP (or any text) headers, per
// W3C Trace Context Level 2 (`traceparent`, `tracestate`) and W3C Baggage (`baggage`).
//
// `inject` writes the current span and baggage into outgoing headers; `extract` reads incoming ones
// into a Context whose span is the *remote* parent of the spans the server starts. Malformed input
// (bad version, wrong lengths, upper-case hex, all-zero ids, junk) is ignored: extract then returns
// a context without a span, so the next span starts a new trace. extract never throws.
//
// Headers can live in any container: implement TextMapGetter/TextMapSetter, or pass a
// std::map, std::unordered_map or std::vector of std::pair<std::string, std::string> directly.
// Header names are matched case-insensitively, as HTTP requires. A field received on several lines
// counts as every line: repeated `tracestate` and `baggage` lines are joined with commas (RFC 9110
// section 5.3), and a repeated `traceparent` is invalid, so a new trace starts.
//
//   // client
//   std::map<std::string, std::string> headers;
//   lumen::propagation::inject(lumen::Context::current(), headers);
//   // server: the caller's context (its span, the remote parent, and its baggage) is made current
//   // for the request; the server span starts inside it, and the calls made inside the span carry
//   // the trace and the baggage on.
//   auto request_scope = lumen::propagation::extract(request_headers).activate();
//   auto span = tracer.start("GET /documents", {.kind = lumen::trace::SpanKind::kServer});
//   auto span_scope = span.activate();
//   lumen::propagation::inject(lumen::Context::current(), outgoing_headers);
//
// Activate the extracted context rather than pass it as StartOptions::parent: a span carries only
// its SpanContext, so activating a span started with `.parent = remote` leaves the baggage behind.
#pragma once

#include <concepts>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lumen/core/baggage.hpp"
#include "lumen/core/context.hpp"
#include "lumen/core/span_context.hpp"

namespace lumen::propagation {

inline constexpr std::string_view kTraceParentHeader = "traceparent";
inline constexpr std::string_view kTraceStateHeader = "tracestate";
inline constexpr std::string_view kBaggageHeader = "baggage";

// W3C limits. tracestate: at most 32 members; lumen propagates 512 characters, the least the
// specification asks for, removing members longer than 128 characters first when it must cut.
inline constexpr std::size_t kMaxTraceStateMembers = 32;
inline constexpr std::size_t kMaxTraceStateLength = 512;
inline constexpr std::size_t kMaxTraceStateMemberLength = 128;
// baggage: the specification asks for at least 64 members and 8192 bytes; lumen keeps 180 members.
inline constexpr std::size_t kMaxBaggageMembers = 180;
inline constexpr std::size_t kMaxBaggageBytes = 8192;

// Reads headers from a carrier. A getter may throw; extract catches it and ignores the carrier.
class TextMapGetter {
 public:
  virtual ~TextMapGetter() = default;
  // The value of the header named `key` (lower case; implementations should match names
  // case-insensitively), or nullopt. The view must stay valid until the carrier is modified.
  [[nodiscard]] virtual std::optional<std::string_view> get(std::string_view key) const = 0;
  // Every value of the header named `key`, in the order received: HTTP lets a field be sent on
  // several lines. The default returns get()'s one value, which is right for a carrier that keeps
  // one value per name; a carrier that keeps repeated lines should override it.
  [[nodiscard]] virtual std::vector<std::string_view> get_all(std::string_view key) const {
    std::vector<std::string_view> values;
    if (const auto value = get(key)) values.push_back(*value);
    return values;
  }
  // The name of every header in the carrier, as stored: what a format that spreads its data over
  // a family of headers (Jaeger's uberctx-<key> baggage) needs. The default returns none.
  [[nodiscard]] virtual std::vector<std::string_view> keys() const { return {}; }
};

// Writes headers into a carrier, replacing an existing header of the same (case-insensitive) name.
class TextMapSetter {
 public:
  virtual ~TextMapSetter() = default;
  virtual void set(std::string_view key, std::string_view value) = 0;
};

namespace detail {
// Case-insensitive lookups and replacing writes for the standard header containers.
std::optional<std::string_view> find_header(const std::map<std::string, std::string>& headers,
                                            std::string_view key) noexcept;
std::optional<std::string_view> find_header(
    const std::unordered_map<std::string, std::string>& headers, std::string_view key) noexcept;
std::optional<std::string_view> find_header(
    const std::vector<std::pair<std::string, std::string>>& headers, std::string_view key) noexcept;
// Every header named `key` (case-insensitively): in a vector in their order; in a map, where
// names differing only in case are separate entries, in the map's iteration order.
std::vector<std::string_view> find_all_headers(const std::map<std::string, std::string>& headers,
                                               std::string_view key);
std::vector<std::string_view> find_all_headers(
    const std::unordered_map<std::string, std::string>& headers, std::string_view key);
std::vector<std::string_view> find_all_headers(
    const std::vector<std::pair<std::string, std::string>>& headers, std::string_view key);
void set_header(std::map<std::string, std::string>& headers, std::string_view key,
                std::string_view value);
void set_header(std::unordered_map<std::string, std::string>& headers, std::string_view key,
                std::string_view value);
void set_header(std::vector<std::pair<std::string, std::string>>& headers, std::string_view key,
                std::string_view value);
}  // namespace detail

// std::map, std::unordered_map or std::vector of std::pair<std::string, std::string>.
template <typename H>
concept HeaderContainer = requires(H& headers, const H& const_headers, std::string_view s) {
  { detail::find_header(const_headers, s) } -> std::same_as<std::optional<std::string_view>>;
  { detail::find_all_headers(const_headers, s) } -> std::same_as<std::vector<std::string_view>>;
  detail::set_header(headers, s, s);
};

// Adapters from a standard container to the carrier interfaces. They hold a reference: the
// container must outlive them.
template <HeaderContainer H>
class HeaderGetter final : public TextMapGetter {
 public:
  explicit HeaderGetter(const H& headers) noexcept : headers_(&headers) {}
  [[nodiscard]] std::optional<std::string_view> get(std::string_view key) const override {
    return detail::find_header(*headers_, key);
  }
  [[nodiscard]] std::vector<std::string_view> get_all(std::string_view key) const override {
    return detail::find_all_headers(*headers_, key);
  }
  [[nodiscard]] std::vector<std::string_view> keys() const override {
    std::vector<std::string_view> names;
    names.reserve(headers_->size());
    for (const auto& header : *headers_) names.emplace_back(header.first);
    return names;
  }

 private:
  const H* headers_;
};

template <HeaderContainer H>
class HeaderSetter final : public TextMapSetter {
 public:
  explicit HeaderSetter(H& headers) noexcept : headers_(&headers) {}
  void set(std::string_view key, std::string_view value) override {
    detail::set_header(*headers_, key, value);
  }

 private:
  H* headers_;
};

// inject and extract below are the default Propagator's (tracecontext,baggage); for B3, Jaeger or
// the formats OTEL_PROPAGATORS names, see lumen/trace/propagator.hpp and Runtime::propagator().

// Writes `traceparent` (version 00) and `tracestate` (when non-empty) if the context's span is
// valid, and `baggage` if the context has baggage that can be encoded within the W3C limits.
// Never throws: a setter that throws or an allocation failure leaves the carrier partly written.
void inject(const Context& context, TextMapSetter& carrier) noexcept;

// Returns `base` with its span replaced by the remote SpanContext the carrier describes, or by no
// span if `traceparent` is missing, invalid or repeated. A valid `baggage` header replaces base's
// baggage; without one base's baggage is kept. Never throws.
[[nodiscard]] Context extract(const TextMapGetter& carrier, const Context& base = {}) noexcept;

template <HeaderContainer H>
void inject(const Context& context, H& headers) noexcept {
  HeaderSetter<H> setter(headers);
  inject(context, static_cast<TextMapSetter&>(setter));
}

template <HeaderContainer H>
[[nodiscard]] Context extract(const H& headers, const Context& base = {}) noexcept {
  const HeaderGetter<H> getter(headers);
  return extract(static_cast<const TextMapGetter&>(getter), base);
}

// The building blocks of inject and extract, for carriers that are not header maps.

// "00-<trace id>-<span id>-<flags>" in lower-case hex, with only the flags the specification
// defines (sampled, random); empty if the span context is invalid.
[[nodiscard]] std::string format_traceparent(const SpanContext& span);
// Parses a traceparent value (surrounding spaces and tabs ignored) into a remote SpanContext
// without tracestate; nullopt if it is invalid. Only the sampled and random flags are kept.
[[nodiscard]] std::optional<SpanContext> parse_traceparent(std::string_view header) noexcept;
// True if `header` is a valid tracestate list: at most 32 members of unique keys and values that
// follow the W3C character rules (empty members allowed).
[[nodiscard]] bool is_valid_tracestate(std::string_view header) noexcept;
// The tracestate to propagate for a received one, as the specification asks a sender to write
// it: members joined by "," without optional whitespace, no empty members; of a repeated key only
// the first member; cut to 32 members and 512 characters by removing whole members (those over 128
// characters first, then from the end). Empty if a member is invalid (a partial list could
// misrepresent another vendor's state) or there is no member.
[[nodiscard]] std::string normalize_tracestate(std::string_view header);

// Encodes baggage as a W3C baggage header, percent-encoding values. Entries whose key is not an
// HTTP token are skipped, metadata that is not a valid property list is left out, and entries that
// would exceed 180 members or 8192 bytes are not written. Empty if nothing could be written.
[[nodiscard]] std::string format_baggage(const Baggage& baggage);
// Parses a baggage header, percent-decoding values (invalid UTF-8 becomes U+FFFD). Invalid members
// are skipped; parsing stops after 180 members or at byte 8192. Metadata (the properties after
// the first ';') is kept without the leading ';' and without optional whitespace ("p1;p2=v2").
[[nodiscard]] Baggage parse_baggage(std::string_view header);

}  // namespace lumen::propagation
