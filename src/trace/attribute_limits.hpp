// Applies count and value-length limits when attributes are added to spans, events and links.
#pragma once

#include <cstdint>
#include <string_view>

#include "lumen/core/attributes.hpp"

namespace lumen::trace::detail {

// Truncates strings (and strings inside arrays) longer than max_length.
void truncate_value(AttributeValue& value, std::uint32_t max_length);

// A string value as the limit keeps it: its first max_length bytes.
inline std::string_view truncated(std::string_view value, std::uint32_t max_length) noexcept {
  return value.size() > max_length ? value.substr(0, max_length) : value;
}

// Sets key=value on `attributes` unless that would exceed max_count new keys, in which case
// `dropped` grows. Replacing an existing key is always allowed.
void set_limited(Attributes& attributes, std::string_view key, AttributeValue value,
                 std::uint32_t max_count, std::uint32_t max_length, std::uint32_t& dropped);

// The same for a string value, written into recycled storage when there is some. Inline, with the
// scalar version below: this is a span's hot path, and it was five calls deep.
inline void set_string_limited(Attributes& attributes, std::string_view key, std::string_view value,
                               std::uint32_t max_count, std::uint32_t max_length,
                               std::uint32_t& dropped) {
  value = truncated(value, max_length);
  if (Attribute* existing = attributes.find_mutable(key)) {
    assign_string(existing->value, value);
  } else if (attributes.size() >= max_count) {
    ++dropped;
  } else {
    attributes.append_string_unchecked(key, value);
  }
}

// The same for a scalar (bool, std::int64_t, double): nothing to truncate, nothing to allocate.
template <typename T>
void set_scalar_limited(Attributes& attributes, std::string_view key, T value,
                        std::uint32_t max_count, std::uint32_t& dropped) {
  if (Attribute* existing = attributes.find_mutable(key)) {
    existing->value = value;
  } else if (attributes.size() >= max_count) {
    ++dropped;
  } else {
    attributes.append_scalar_unchecked(key, value);
  }
}

// Copies `source` into a fresh list under the same limits.
Attributes limit_all(Attributes source, std::uint32_t max_count, std::uint32_t max_length,
                     std::uint32_t& dropped);

}  // namespace lumen::trace::detail
