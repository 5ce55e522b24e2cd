// W3C Baggage: the `baggage` header. https://www.w3.org/TR/baggage/
#include <algorithm>
#include <optional>
#include <string>

#include "core/ascii.hpp"
#include "lumen/trace/propagation.hpp"

namespace lumen::propagation {
namespace {

using ascii::is_token;
using ascii::percent_decode;
using ascii::trim_ows;

// baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E: printable ASCII except space,
// '"', ',', ';' and '\'.
bool is_baggage_octet(char c) noexcept {
  return c >= 0x21 && c <= 0x7E && c != '"' && c != ',' && c != ';' && c != '\\';
}

bool is_baggage_value(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), is_baggage_octet);
}

// properties = property *(OWS ";" OWS property); property = key OWS "=" OWS value / key OWS.
// Returns them without optional whitespace ("Leading and trailing OWS [...] MUST be trimmed when
// converting the header into a data structure"), joined by ';', or nullopt if one is invalid.
std::optional<std::string> normalize_properties(std::string_view text) {
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t semi = text.find(';', start);
    if (semi == std::string_view::npos) semi = text.size();
    const std::string_view property = text.substr(start, semi - start);
    start = semi + 1;
    const std::size_t eq = property.find('=');
    const std::string_view key = trim_ows(property.substr(0, eq));
    if (!is_token(key)) return std::nullopt;
    if (!out.empty()) out += ';';
    out += key;
    if (eq != std::string_view::npos) {
      const std::string_view value = trim_ows(property.substr(eq + 1));
      if (!is_baggage_value(value)) return std::nullopt;
      out += '=';
      out += value;
    }
  }
  return out;
}

// Length of the valid UTF-8 sequence at the start of `s`, or 0 with `bad` set to the length of the
// maximal invalid prefix (at least 1), which is replaced by one U+FFFD.
std::size_t utf8_sequence(std::string_view s, std::size_t& bad) noexcept {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char b0 = byte(0);
  if (b0 < 0x80) return 1;
  std::size_t length;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;  // no UTF-16 surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    bad = 1;
    return 0;
  }
  for (std::size_t i = 1; i < length; ++i) {
    const bool in_range =
        i < s.size() && byte(i) >= (i == 1 ? lo : 0x80) && byte(i) <= (i == 1 ? hi : 0xBF);
    if (!in_range) {
      bad = i;
      return 0;
    }
  }
  return length;
}

// The specification asks that bytes which are not UTF-8 decode to U+FFFD.
std::string sanitize_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  while (!s.empty()) {
    std::size_t bad = 0;
    const std::size_t n = utf8_sequence(s, bad);
    if (n > 0) {
      out.append(s.substr(0, n));
      s.remove_prefix(n);
    } else {
      out += "\xEF\xBF\xBD";
      s.remove_prefix(bad);
    }
  }
  return out;
}

}  // namespace

std::string format_baggage(const Baggage& baggage) {
  std::string out;
  std::string member;
  std::size_t members = 0;
  for (const Baggage::Entry& entry : baggage.entries()) {
    if (members == kMaxBaggageMembers) break;
    if (!is_token(entry.key)) continue;
    member.assign(entry.key);
    member += '=';
    ascii::percent_encode(entry.value, is_baggage_octet, member);
    const std::string_view metadata = trim_ows(entry.metadata);
    if (!metadata.empty()) {
      if (const auto properties = normalize_properties(metadata)) {
        member += ';';
        member += *properties;
      }
    }
    const std::size_t separator = out.empty() ? 0 : 1;
    if (out.size() + separator + member.size() > kMaxBaggageBytes)
      continue;  // a smaller one may fit
    if (separator) out += ',';
    out += member;
    ++members;
  }
  return out;
}

Baggage parse_baggage(std::string_view header) {
  std::vector<Baggage::Entry> entries;
  std::size_t members = 0;
  std::size_t start = 0;
  while (start <= header.size() && members < kMaxBaggageMembers) {
    std::size_t comma = header.find(',', start);
    if (comma == std::string_view::npos) comma = header.size();
    if (comma > kMaxBaggageBytes) break;  // a member that crosses the size limit is cut off
    const std::string_view member = trim_ows(header.substr(start, comma - start));
    start = comma + 1;

    const std::size_t semi = member.find(';');
    const std::string_view pair = member.substr(0, semi);
    const std::string_view properties =
        semi == std::string_view::npos ? std::string_view{} : trim_ows(member.substr(semi + 1));
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view key = trim_ows(pair.substr(0, eq));
    const std::string_view value = trim_ows(pair.substr(eq + 1));
    if (!is_token(key) || !is_baggage_value(value)) continue;
    std::optional<std::string> metadata;
    if (semi != std::string_view::npos) {
      metadata = normalize_properties(properties);
      if (!metadata) continue;
    }

    entries.push_back(Baggage::Entry{std::string(key), sanitize_utf8(percent_decode(value)),
                                     metadata.value_or(std::string())});
    ++members;
  }
  return Baggage(std::move(entries));
}

}  // namespace lumen::propagation
