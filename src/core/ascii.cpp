#include "core/ascii.hpp"

namespace lumen::ascii {
namespace {

// The byte a valid escape at s[i] stands for, or -1 when s[i] does not start one.
int escaped_byte(std::string_view s, std::size_t i) noexcept {
  if (s[i] != '%' || i + 2 >= s.size()) return -1;
  const int hi = hex_value(s[i + 1]);
  const int lo = hex_value(s[i + 2]);
  return hi < 0 || lo < 0 ? -1 : (hi << 4) | lo;
}

}  // namespace

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (const int byte = escaped_byte(s, i); byte >= 0) {
      out += static_cast<char>(byte);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::optional<std::string> percent_decode_strict(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    const int byte = escaped_byte(s, i);
    if (byte < 0) return std::nullopt;
    out += static_cast<char>(byte);
    i += 2;
  }
  return out;
}

void percent_encode(std::string_view s, bool (*keep)(char) noexcept, std::string& out) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  for (const char c : s) {
    if (c != '%' && keep(c)) {
      out += c;
    } else {
      const auto b = static_cast<unsigned char>(c);
      out += '%';
      out += kDigits[b >> 4];
      out += kDigits[b & 0xF];
    }
  }
}

}  // namespace lumen::ascii
