// W3C Baggage: the `baggage` header. https://www.w3.org/TR/baggage/
#include <algorithm>

#include "lumen/trace/propagation.hpp"

namespace lumen::propagation {
namespace {

std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// RFC 7230 tchar: keys are HTTP tokens.
bool is_tchar(char c) noexcept {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool is_token(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

// baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E: printable ASCII except space,
// '"', ',', ';' and '\'.
bool is_baggage_octet(char c) noexcept {
  return c >= 0x21 && c <= 0x7E && c != '"' && c != ',' && c != ';' && c != '\\';
}

bool is_baggage_value(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), is_baggage_octet);
}

// properties = property *(OWS ";" OWS property); property = key OWS "=" OWS value / key OWS
bool is_valid_properties(std::string_view text) noexcept {
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t semi = text.find(';', start);
    if (semi == std::string_view::npos) semi = text.size();
    const std::string_view property = text.substr(start, semi - start);
    start = semi + 1;
    const std::size_t eq = property.find('=');
    if (eq == std::string_view::npos) {
      if (!is_token(trim_ows(property))) return false;
    } else if (!is_token(trim_ows(property.substr(0, eq))) ||
               !is_baggage_value(trim_ows(property.substr(eq + 1)))) {
      return false;
    }
  }
  return true;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A '%' that does not start a valid escape is kept as a literal character: it is a legal
// baggage-octet, and dropping the whole member would lose data that the sender meant.
std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>((hi << 4) | lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
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
    const bool in_range = i < s.size() && byte(i) >= (i == 1 ? lo : 0x80) && byte(i) <= (i == 1 ? hi : 0xBF);
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

// '%' is encoded too, so that decoding gives back exactly the value that was set.
void percent_encode(std::string_view s, std::string& out) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  for (const char c : s) {
    if (is_baggage_octet(c) && c != '%') {
      out += c;
    } else {
      const auto b = static_cast<unsigned char>(c);
      out += '%';
      out += kDigits[b >> 4];
      out += kDigits[b & 0xF];
    }
  }
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
    percent_encode(entry.value, member);
    const std::string_view metadata = trim_ows(entry.metadata);
    if (!metadata.empty() && is_valid_properties(metadata)) {
      member += ';';
      member += metadata;
    }
    const std::size_t separator = out.empty() ? 0 : 1;
    if (out.size() + separator + member.size() > kMaxBaggageBytes) continue;  // a smaller one may fit
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
    if (semi != std::string_view::npos && !is_valid_properties(properties)) continue;

    entries.push_back(Baggage::Entry{std::string(key), sanitize_utf8(percent_decode(value)),
                                     std::string(properties)});
    ++members;
  }
  return Baggage(std::move(entries));
}

}  // namespace lumen::propagation
