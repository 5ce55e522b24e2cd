// The field keys whose values a log line shows as "[REDACTED]", matched without regard to case.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lumen::log::detail {

struct Redactor {
  std::vector<std::string> keys;  // lower-case
  std::uint64_t length_mask = 0;  // bit n set when a key of n bytes (n < 64) exists
  // bit (c & 63) set when a key starts with the (lower-case) byte c
  std::uint64_t first_byte_mask = 0;
  void add(std::string_view key);
  // Inline, since the writer asks for every key and two tests turn most of them away.
  [[nodiscard]] bool matches(std::string_view key) const noexcept {
    if ((length_mask & (std::uint64_t{1} << (key.size() < 63 ? key.size() : 63))) == 0) {
      return false;
    }
    if (!key.empty() && (first_byte_mask & (std::uint64_t{1} << (lower(key[0]) & 63))) == 0) {
      return false;
    }
    return compare_keys(key);
  }

 private:
  static char lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
  [[nodiscard]] bool compare_keys(std::string_view key) const noexcept;
};

}  // namespace lumen::log::detail
