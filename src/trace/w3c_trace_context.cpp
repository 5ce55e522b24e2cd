// W3C Trace Context Level 1: the traceparent and tracestate headers.
// https://www.w3.org/TR/trace-context-1/
#include <algorithm>
#include <array>
#include <cstdint>

#include "lumen/trace/propagation.hpp"

namespace lumen::propagation {
namespace {

// version(2) '-' trace-id(32) '-' parent-id(16) '-' flags(2)
constexpr std::size_t kTraceParentSize = 55;
constexpr std::size_t kTraceIdOffset = 3;
constexpr std::size_t kSpanIdOffset = 36;
constexpr std::size_t kFlagsOffset = 53;

// HTTP strips optional whitespace (spaces and tabs) around a field value; a carrier that did not
// must not turn a valid header into a new trace.
std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool parse_hex_byte(std::string_view two, std::uint8_t& out) noexcept {
  return lumen::detail::parse_lower_hex(two, &out, 1);
}

bool is_lcalpha(char c) noexcept { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_key_char(char c) noexcept {
  return is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '*' || c == '/';
}

// simple-key = lcalpha 0*255(lcalpha / DIGIT / "_" / "-" / "*" / "/")
// multi-tenant-key = tenant-id "@" system-id, tenant-id = (lcalpha / DIGIT) 0*240(...),
// system-id = lcalpha 0*13(...)
bool is_valid_key(std::string_view key) noexcept {
  const std::size_t at = key.find('@');
  if (at == std::string_view::npos) {
    if (key.empty() || key.size() > 256 || !is_lcalpha(key.front())) return false;
    return std::all_of(key.begin(), key.end(), is_key_char);
  }
  const std::string_view tenant = key.substr(0, at);
  const std::string_view system = key.substr(at + 1);
  if (tenant.empty() || tenant.size() > 241 || !(is_lcalpha(tenant.front()) || is_digit(tenant.front()))) {
    return false;
  }
  if (system.empty() || system.size() > 14 || !is_lcalpha(system.front())) return false;
  return std::all_of(tenant.begin(), tenant.end(), is_key_char) &&
         std::all_of(system.begin(), system.end(), is_key_char);
}

// value = 0*255(chr) nblk-chr; chr = %x20 / nblk-chr; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E
bool is_valid_value(std::string_view value) noexcept {
  if (value.empty() || value.size() > 256 || value.back() == ' ') return false;
  return std::all_of(value.begin(), value.end(), [](char c) {
    return c >= 0x20 && c <= 0x7E && c != ',' && c != '=';
  });
}

}  // namespace

std::string format_traceparent(const SpanContext& span) {
  if (!span.is_valid()) return {};
  std::string out(kTraceParentSize, '-');
  out[0] = '0';
  out[1] = '0';
  span.trace_id().to_hex(out.data() + kTraceIdOffset);
  span.span_id().to_hex(out.data() + kSpanIdOffset);
  const std::uint8_t flags = span.flags();
  lumen::detail::write_hex(&flags, 1, out.data() + kFlagsOffset);
  return out;
}

std::optional<SpanContext> parse_traceparent(std::string_view header) noexcept {
  header = trim_ows(header);
  if (header.size() < kTraceParentSize) return std::nullopt;

  std::uint8_t version = 0;
  if (!parse_hex_byte(header.substr(0, 2), version) || version == 0xff) return std::nullopt;
  // Version 00 is exactly 55 characters. A later version may append fields, each after a '-';
  // we read the fields we know and ignore the rest, as the specification asks.
  if (version == 0 && header.size() != kTraceParentSize) return std::nullopt;
  if (header.size() > kTraceParentSize && header[kTraceParentSize] != '-') return std::nullopt;
  if (header[2] != '-' || header[kSpanIdOffset - 1] != '-' || header[kFlagsOffset - 1] != '-') {
    return std::nullopt;
  }

  auto trace_id = TraceId::from_hex(header.substr(kTraceIdOffset, 32));
  auto span_id = SpanId::from_hex(header.substr(kSpanIdOffset, 16));
  std::uint8_t flags = 0;
  if (!trace_id || !span_id || !parse_hex_byte(header.substr(kFlagsOffset, 2), flags)) {
    return std::nullopt;
  }
  if (!trace_id->is_valid() || !span_id->is_valid()) return std::nullopt;
  // Only the sampled bit is defined across versions; other bits of a later version may mean
  // something we would misreport when we forward the context as version 00.
  if (version != 0) flags &= SpanContext::kSampledFlag;
  return SpanContext(*trace_id, *span_id, flags, /*remote=*/true);
}

bool is_valid_tracestate(std::string_view header) noexcept {
  // Keys must be unique; 32 members bound the pairwise comparison.
  std::array<std::string_view, kMaxTraceStateMembers> keys;
  std::size_t members = 0;
  std::size_t start = 0;
  while (start <= header.size()) {
    std::size_t comma = header.find(',', start);
    if (comma == std::string_view::npos) comma = header.size();
    const std::string_view member = trim_ows(header.substr(start, comma - start));
    start = comma + 1;
    if (member.empty()) continue;  // empty list members are allowed and do not count
    const std::size_t eq = member.find('=');
    if (eq == std::string_view::npos) return false;
    const std::string_view key = member.substr(0, eq);
    if (!is_valid_key(key) || !is_valid_value(member.substr(eq + 1))) return false;
    if (members == kMaxTraceStateMembers) return false;
    if (std::find(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(members), key) !=
        keys.begin() + static_cast<std::ptrdiff_t>(members)) {
      return false;
    }
    keys[members++] = key;
  }
  return true;
}

}  // namespace lumen::propagation
