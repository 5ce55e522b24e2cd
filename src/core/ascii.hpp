// ASCII text helpers for the protocols lumen parses: hex digits, HTTP optional whitespace,
// case-insensitive comparison and percent-encoding (RFC 3986 section 2.1). Locale-independent:
// bytes outside ASCII are never letters, digits or whitespace here.
//
//   std::string_view member = ascii::trim_ows(" key=va%20lue\t");  // "key=va%20lue"
//   std::string value = ascii::percent_decode("va%20lue");          // "va lue"
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lumen::ascii {

// 0-15 for a hex digit in either case; -1 for anything else.
[[nodiscard]] constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

[[nodiscard]] constexpr char to_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Equal but for the case of ASCII letters (header names, OTEL_PROPAGATORS names).
[[nodiscard]] constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  }
  return true;
}

// An HTTP token (RFC 9110 section 5.6.2: one or more tchar): a header name, a baggage key.
[[nodiscard]] constexpr bool is_token(std::string_view s) noexcept {
  constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  if (s.empty()) return false;
  for (const char c : s) {
    const bool alphanumeric =
        (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alphanumeric && kSymbols.find(c) == std::string_view::npos) return false;
  }
  return true;
}

// `s` without HTTP optional whitespace (RFC 9110 section 5.6.3: spaces and horizontal tabs only)
// at either end.
[[nodiscard]] constexpr std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// `s` without ASCII whitespace (space, \t, \n, \v, \f, \r) at either end: a received header line
// with its CRLF, a header value read by a looser rule than OWS.
[[nodiscard]] constexpr std::string_view trim_space(std::string_view s) noexcept {
  constexpr auto space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

// Decodes %XX escapes (either case). A '%' that does not start a valid escape is kept as a
// literal character: for headers, dropping the value would lose data the sender meant.
[[nodiscard]] std::string percent_decode(std::string_view s);

// Decodes %XX escapes (either case); nullopt when a '%' is not followed by two hex digits, for
// settings and URLs where a bad escape makes the whole value unusable.
[[nodiscard]] std::optional<std::string> percent_decode_strict(std::string_view s);

// Appends `s` to `out` with every byte for which keep() is false written as %XX (upper case).
// '%' is always encoded, so that decoding gives back exactly the value that was set.
void percent_encode(std::string_view s, bool (*keep)(char) noexcept, std::string& out);

}  // namespace lumen::ascii
