// Not API: this header may change or go away in any release. It is in the public tree because
// attributes.hpp inlines its lookups with it; include lumen/core/attributes.hpp instead.
//
// Word-at-a-time reads, comparisons and copies of short strings (attribute keys and values, log
// field names and values: a few bytes to a few dozen), without a call into libc on the hot paths.
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

// Equality without memcmp up to 32 bytes (span names such as "ai.provider.analyze" are longer
// than 16).
inline bool same_bytes(std::string_view a, std::string_view b) noexcept {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(a.data());
  const auto* q = reinterpret_cast<const unsigned char*>(b.data());
  if (n > 32) return std::memcmp(p, q, n) == 0;
  if (n > 16) {
    return ((load64(p) ^ load64(q)) | (load64(p + 8) ^ load64(q + 8)) |
            (load64(p + n - 16) ^ load64(q + n - 16)) | (load64(p + n - 8) ^ load64(q + n - 8))) ==
           0;
  }
  if (n >= 8) return load64(p) == load64(q) && load64(p + n - 8) == load64(q + n - 8);
  return tail_word(p, n) == tail_word(q, n);
}

// memcpy for n bytes; up to 32 bytes with two (possibly overlapping) fixed-size moves instead of a
// call into libc, which was a third of a log record's cost on the logging thread (8 short strings).
// Always inlined: in a large caller (the log record's one-pass fill) GCC otherwise calls it, and
// the call costs as much as the moves.
[[gnu::always_inline]] inline void copy_bytes(void* dst, const void* src, std::size_t n) noexcept {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  if (n > 32) {
    std::memcpy(d, s, n);
  } else if (n >= 16) {
    unsigned char head[16];
    unsigned char tail[16];
    std::memcpy(head, s, 16);
    std::memcpy(tail, s + n - 16, 16);
    std::memcpy(d, head, 16);
    std::memcpy(d + n - 16, tail, 16);
  } else if (n >= 8) {
    const std::uint64_t head = load64(s);
    const std::uint64_t tail = load64(s + n - 8);
    std::memcpy(d, &head, 8);
    std::memcpy(d + n - 8, &tail, 8);
  } else if (n >= 4) {
    const std::uint32_t head = load32(s);
    const std::uint32_t tail = load32(s + n - 4);
    std::memcpy(d, &head, 4);
    std::memcpy(d + n - 4, &tail, 4);
  } else if (n > 0) {
    const unsigned char a = s[0], b = s[n / 2], c = s[n - 1];
    d[0] = a;
    d[n / 2] = b;
    d[n - 1] = c;
  }
}

}  // namespace lumen::detail
