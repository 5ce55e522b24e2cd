// The writes of a span's attributes into its compact record that Span::set does not do inline
// (lumen/trace/internal/span_record.hpp): a key set again, a value truncated, a key the count
// limit drops. Inline in Span's out-of-line setters (span.cpp), which the record's limits spare a
// load through the tracer.
// Thread-safety: as SpanRecord, one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "attribute_limits.hpp"
#include "span_record.hpp"

namespace lumen::trace::detail {

namespace arena {

// The index of `key`'s entry, or attribute_count when it has none.
inline std::size_t find(const SpanRecord& record, std::string_view key) noexcept {
  const SpanRecord::Body& body = record.body;
  for (std::size_t i = 0; i < body.attribute_count; ++i) {
    const std::byte* entry = body.arena + record.offsets[i];
    if (static_cast<std::size_t>(entry[0]) == key.size() &&
        std::memcmp(entry + 1, key.data(), key.size()) == 0) {
      return i;
    }
  }
  return body.attribute_count;
}

// Resizes entry `i`, an existing one, to `size` bytes, and returns where to write it; null, with
// nothing changed, if the arena is too small.
inline std::byte* resize_entry(SpanRecord& record, std::size_t i, std::size_t size) noexcept {
  SpanRecord::Body& body = record.body;
  const std::size_t count = body.attribute_count;
  const std::size_t at = record.offsets[i];
  const std::size_t end = i + 1 < count ? record.offsets[i + 1] : body.used;
  const std::size_t old_size = end - at;
  if (body.used - old_size + size > SpanRecord::kArenaBytes) return nullptr;
  if (size != old_size && end < body.used) {
    std::memmove(body.arena + at + size, body.arena + end, body.used - end);
    for (std::size_t k = i + 1; k < count; ++k) {
      record.offsets[k] = static_cast<std::uint16_t>(record.offsets[k] - old_size + size);
    }
  }
  body.used = static_cast<std::uint16_t>(body.used - old_size + size);
  return body.arena + at;
}

// Gives `key` an entry of `size` bytes, which `write` fills: in the place of the key's entry when
// it has one, else after the last, unless the count limit drops it (then counted, and true). false
// when the record has no room for it.
template <typename Write>
inline bool set_entry(SpanRecord& record, std::string_view key, std::size_t size,
                      Write write) noexcept {
  SpanRecord::Body& body = record.body;
  const std::uint64_t bit = key_bit(key);
  const std::size_t i = (record.key_bits & bit) != 0 ? find(record, key) : body.attribute_count;
  if (i < body.attribute_count) {
    std::byte* out = resize_entry(record, i, size);
    if (out == nullptr) return false;
    write(out);
    return true;
  }
  if (body.attribute_count >= record.max_attributes) {
    ++body.dropped_attributes;
    return true;
  }
  if (!has_room(record, size)) return false;
  write(claim_entry(record, bit, size));
  return true;
}

}  // namespace arena

// Sets an attribute as Attributes::set does (an existing key keeps its place), under the record's
// limits: a string value is truncated, and a new key beyond the count limit is counted as dropped.
// false: the record has no room for it and is unchanged, and the span must move to a SpanData.
inline bool set_record_string(SpanRecord& record, std::string_view key,
                              std::string_view value) noexcept {
  value = truncated(value, record.max_value_length);
  if (key.size() > arena::kMaxKey || value.size() > arena::kMaxString) return false;
  return arena::set_entry(record, key, arena::string_entry_size(key, value),
                          [&](std::byte* out) { arena::write_string_entry(out, key, value); });
}

template <typename T>
inline bool set_record_scalar(SpanRecord& record, std::string_view key, T value) noexcept {
  if (key.size() > arena::kMaxKey) return false;
  return arena::set_entry(record, key, arena::scalar_entry_size<T>(key),
                          [&](std::byte* out) { arena::write_scalar_entry(out, key, value); });
}

}  // namespace lumen::trace::detail
