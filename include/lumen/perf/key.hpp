// make_key: a stable cache key from a prefix and arguments.
//
// The arguments are hashed (64-bit FNV-1a over a typed, length-prefixed encoding) rather than
// concatenated, so keys stay short and `("a", "bc")` never collides with `("ab", "c")`. The hash
// is the same on every machine and in every process (it does not use std::hash), so instances that
// share a cache agree on keys. Integers of any width hash by value as 64-bit, so `7` and `7L`
// agree.
//
//   std::string key = lumen::perf::make_key("analyze", image_id, std::string("gemini"), 0.7, true);
//   // "analyze:3f9c0a2e17b4d865"
//
// Supported argument types: integers, bool, float/double, strings (std::string, string_view,
// const char*), and std::vector of these.
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace lumen::perf {

// Accumulates the typed encoding of key arguments into a 64-bit FNV-1a hash.
class KeyHasher {
 public:
  void add(std::string_view s) noexcept;
  void add(const char* s) noexcept { add(std::string_view(s)); }
  void add(const std::string& s) noexcept { add(std::string_view(s)); }
  void add(bool b) noexcept;
  void add(double d) noexcept;
  void add(float f) noexcept { add(static_cast<double>(f)); }
  template <std::integral I>
  requires(!std::same_as<I, bool>) void add(I v) noexcept {
    if constexpr (std::is_signed_v<I>) {
      add_int(static_cast<std::int64_t>(v));
    } else {
      add_uint(static_cast<std::uint64_t>(v));
    }
  }
  template <typename T>
  void add(const std::vector<T>& values) noexcept {
    add_tag('v', values.size());
    for (const auto& v : values) add(v);
  }

  [[nodiscard]] std::uint64_t value() const noexcept { return hash_; }

 private:
  void add_int(std::int64_t v) noexcept;
  void add_uint(std::uint64_t v) noexcept;
  void add_tag(char tag, std::uint64_t n) noexcept;
  void bytes(const void* data, std::size_t n) noexcept;
  std::uint64_t hash_ = 14695981039346656037ULL;
};

// "<prefix>:<16 lowercase hex digits>".
[[nodiscard]] std::string format_key(std::string_view prefix, std::uint64_t hash);

template <typename... Args>
[[nodiscard]] std::string make_key(std::string_view prefix, const Args&... args) {
  KeyHasher h;
  (h.add(args), ...);
  return format_key(prefix, h.value());
}

}  // namespace lumen::perf
