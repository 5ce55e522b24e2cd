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
  void add(std::string_view key);
  [[nodiscard]] bool matches(std::string_view key) const noexcept;
};

}  // namespace lumen::log::detail
