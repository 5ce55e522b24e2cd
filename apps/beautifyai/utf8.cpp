#include "utf8.hpp"

#include <cstdint>

namespace beautifyai {

bool is_utf8(std::string_view text) noexcept {
  std::size_t pending = 0;   // continuation bytes the current sequence still needs
  std::uint8_t low = 0x80;   // the range the next continuation byte must fall in: it is narrower
  std::uint8_t high = 0xBF;  // after E0, ED, F0 and F4, which is what rules out the invalid forms
  for (const char c : text) {
    const auto b = static_cast<std::uint8_t>(c);
    if (pending > 0) {
      if (b < low || b > high) return false;
      --pending;
      low = 0x80;
      high = 0xBF;
      continue;
    }
    if (b < 0x80) continue;
    if (b >= 0xC2 && b <= 0xDF) {
      pending = 1;
    } else if (b >= 0xE0 && b <= 0xEF) {
      pending = 2;
      if (b == 0xE0) low = 0xA0;   // overlong
      if (b == 0xED) high = 0x9F;  // UTF-16 surrogates
    } else if (b >= 0xF0 && b <= 0xF4) {
      pending = 3;
      if (b == 0xF0) low = 0x90;   // overlong
      if (b == 0xF4) high = 0x8F;  // past U+10FFFF
    } else {
      return false;  // a stray continuation byte, C0, C1 or F5..FF
    }
  }
  return pending == 0;
}

}  // namespace beautifyai
