// Word-at-a-time reads and comparisons of short strings (attribute keys and values are a few bytes
// to a few dozen), without a call into libc on the hot paths.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace lumen::detail {

inline std::uint64_t load64(const unsigned char* p) noexcept {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

inline std::uint32_t load32(const unsigned char* p) noexcept {
  std::uint32_t w;
  std::memcpy(&w, p, 4);
  return w;
}

// The last n < 8 bytes of a string as one word, read straight from the string with (possibly
// overlapping) loads. Copying them into a zeroed word with a variable-length memcpy would make the
// next read wait for the bytes' stores: a stall per string that cost more than the whole hash.
inline std::uint64_t tail_word(const unsigned char* p, std::size_t n) noexcept {
  if (n >= 4) return (static_cast<std::uint64_t>(load32(p)) << 32) | load32(p + n - 4);
  if (n > 0) {
    return (static_cast<std::uint64_t>(p[0]) << 16) | (static_cast<std::uint64_t>(p[n / 2]) << 8) |
           p[n - 1];
  }
  return 0;
}

// Equality without memcmp up to 16 bytes.
inline bool same_bytes(std::string_view a, std::string_view b) noexcept {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(a.data());
  const auto* q = reinterpret_cast<const unsigned char*>(b.data());
  if (n > 16) return std::memcmp(p, q, n) == 0;
  if (n >= 8) return load64(p) == load64(q) && load64(p + n - 8) == load64(q + n - 8);
  return tail_word(p, n) == tail_word(q, n);
}

}  // namespace lumen::detail
