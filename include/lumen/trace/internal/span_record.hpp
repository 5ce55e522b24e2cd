// Not API: this header may change or go away in any release. It is in the public tree because
// Span::set (lumen/trace/span.hpp) writes a new attribute into a span's compact record inline;
// include lumen/trace/span.hpp instead.
//
// SpanRecord, a recording span's content in one block (src/trace/span_record.hpp tells why), and
// the common case of an attribute's write: a key the span does not have yet, under its limits,
// with room left. Inline at the caller, a key given as a literal is copied with its size known
// and its lookup bit computed at compile time: the gateway's span with seven attributes took 86
// ns with a call per attribute, 64.5 ns with this (bench/RESULTS.md, "The gateway's span without
// a clock read, and its attributes written inline").
// Thread-safety: a record belongs to one span, used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "lumen/core/attributes.hpp"
#include "lumen/core/ids.hpp"
#include "lumen/core/internal/short_bytes.hpp"
#include "lumen/trace/span_data.hpp"

namespace lumen::trace::detail {

// On cache lines of its own, with what every span writes first: a store that hands records back to
// the thread can ask for the lines a span will write in one sweep from the start
// (InMemorySpanExporter's prefetch).
struct alignas(64) SpanRecord {
  static constexpr std::size_t kArenaBytes = 408;
  static constexpr std::size_t kMaxAttributes = 32;

  // As SpanData::scope: kept while pooled, so that a span of the same tracer touches no count.
  std::shared_ptr<const InstrumentationScope> scope;
  std::shared_ptr<const std::string> trace_state;
  // The span's limits (SpanLimits::attribute_count, attribute_value_length), copied as it starts:
  // an attribute's write checks them without a load through the span's tracer.
  std::uint32_t max_attributes;
  std::uint32_t max_value_length;
  // A bit for each key set (arena::key_bit), while the span is open: a key whose bit is
  // clear is new, and is added without being compared with every key before it.
  std::uint64_t key_bits;
  // Where each attribute starts in the arena, while the span is open: a key is looked up without
  // walking the entries one after another.
  std::uint16_t offsets[kMaxAttributes];
  struct Body {
    TraceId trace_id;
    SpanId span_id;
    SpanId parent_span_id;
    std::uint64_t start_ns;
    std::uint64_t end_ns;
    std::uint32_t dropped_attributes;
    std::uint16_t used;  // bytes of the arena in use
    std::uint8_t attribute_count;
    std::uint8_t flags;
    bool remote;
    bool parent_is_remote;
    SpanKind kind;
    StatusCode status;
    // The name ([size][bytes]), then each attribute: [key size][key][kind][value], where a
    // string value is [2-byte size][bytes], an integer or double 8 bytes, a bool one.
    std::byte arena[kArenaBytes];
  };
  Body body;
};

// The arena's format: written here and by src/trace/span_record_write.hpp, read back by
// src/trace/span_record.cpp.
namespace arena {

// Attribute kinds in the arena: the AttributeValue alternatives a record holds.
constexpr std::uint8_t kString = 0;
constexpr std::uint8_t kBool = 1;
constexpr std::uint8_t kInt = 2;
constexpr std::uint8_t kDouble = 3;
static_assert(std::is_same_v<std::variant_alternative_t<kString, AttributeValue>, std::string> &&
              std::is_same_v<std::variant_alternative_t<kBool, AttributeValue>, bool> &&
              std::is_same_v<std::variant_alternative_t<kInt, AttributeValue>, std::int64_t> &&
              std::is_same_v<std::variant_alternative_t<kDouble, AttributeValue>, double>);

constexpr std::size_t kMaxKey = 255;
constexpr std::size_t kMaxString = 0xFFFF;

template <typename T>
constexpr std::uint8_t kind_of() {
  if constexpr (std::is_same_v<T, bool>) {
    return kBool;
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    return kInt;
  } else {
    return kDouble;
  }
}

// The key's bit in SpanRecord::key_bits, from its size and last byte: the keys of one span rarely
// share both.
inline std::uint64_t key_bit(std::string_view key) noexcept {
  const unsigned last = key.empty() ? 0U : static_cast<unsigned char>(key.back());
  return std::uint64_t{1} << ((key.size() * 7 + last) & 63U);
}

[[gnu::always_inline]] inline std::byte* write_key(std::byte* out, std::string_view key,
                                                   std::uint8_t kind) noexcept {
  out[0] = static_cast<std::byte>(key.size());
  lumen::detail::copy_bytes(out + 1, key.data(), key.size());
  out[1 + key.size()] = static_cast<std::byte>(kind);
  return out + 2 + key.size();
}

// An entry's bytes, at `out`: [key size][key][kind][value] (the arena's format above). Inline all
// the way down, so that a literal key is written from the instruction stream, not read from
// .rodata, whose lines are as cold as the record's at saturation.
[[gnu::always_inline]] inline void write_string_entry(std::byte* out, std::string_view key,
                                                      std::string_view value) noexcept {
  std::byte* v = write_key(out, key, kString);
  const auto n = static_cast<std::uint16_t>(value.size());
  std::memcpy(v, &n, sizeof n);
  lumen::detail::copy_bytes(v + sizeof n, value.data(), value.size());
}
template <typename T>  // bool, std::int64_t, double
[[gnu::always_inline]] inline void write_scalar_entry(std::byte* out, std::string_view key,
                                                      T value) noexcept {
  std::memcpy(write_key(out, key, kind_of<T>()), &value, std::is_same_v<T, bool> ? 1 : 8);
}

// The bytes a new key's entry takes: the caller writes it there (write_*_entry). The caller has
// checked that the key is new (its bit is clear), under the count limit, and that it fits.
[[gnu::always_inline]] inline std::byte* claim_entry(SpanRecord& record, std::uint64_t bit,
                                                     std::size_t size) noexcept {
  SpanRecord::Body& body = record.body;
  std::byte* out = body.arena + body.used;
  record.offsets[body.attribute_count++] = body.used;
  body.used = static_cast<std::uint16_t>(body.used + size);
  record.key_bits |= bit;
  return out;
}

// The bytes an entry takes in the arena.
inline std::size_t string_entry_size(std::string_view key, std::string_view value) noexcept {
  return 2 + key.size() + 2 + value.size();
}
template <typename T>  // bool, std::int64_t, double
std::size_t scalar_entry_size(std::string_view key) noexcept {
  return 2 + key.size() + (std::is_same_v<T, bool> ? 1 : 8);
}

// Whether a new entry of `size` bytes fits: a free place in the offsets and room in the arena.
[[gnu::always_inline]] inline bool has_room(const SpanRecord& record, std::size_t size) noexcept {
  return record.body.attribute_count < SpanRecord::kMaxAttributes &&
         record.body.used + size <= SpanRecord::kArenaBytes;
}

// Whether an entry of `size` bytes for a key with lookup bit `bit` can be appended with nothing
// else to do: the key is new, the count limit drops nothing, and the record has room.
[[gnu::always_inline]] inline bool appends_plainly(const SpanRecord& record, std::uint64_t bit,
                                                   std::size_t size) noexcept {
  return (record.key_bits & bit) == 0 && record.body.attribute_count < record.max_attributes &&
         has_room(record, size);
}

// Reading an arena back: the size of a value of `kind` at `value`, and of a whole entry.
inline std::size_t value_size(std::uint8_t kind, const std::byte* value) noexcept {
  if (kind == kString) {
    std::uint16_t size;
    std::memcpy(&size, value, sizeof size);
    return sizeof size + size;
  }
  return kind == kBool ? 1 : 8;
}
inline std::size_t entry_size(const std::byte* entry) noexcept {
  const auto key = static_cast<std::size_t>(entry[0]);
  const auto kind = static_cast<std::uint8_t>(entry[1 + key]);
  return 1 + key + 1 + value_size(kind, entry + 2 + key);
}

}  // namespace arena

// The span's name, as the record holds it.
inline std::string_view record_name(const SpanRecord& record) noexcept {
  return {reinterpret_cast<const char*>(record.body.arena + 1),
          static_cast<std::size_t>(record.body.arena[0])};
}

// Calls `visit(key, value)` for each attribute of `record` in the order they were set, with the
// value as a std::string_view (a string), bool, std::int64_t or double.
template <typename Visit>
void for_each_attribute(const SpanRecord& record, Visit&& visit) {
  const SpanRecord::Body& body = record.body;
  std::size_t at = 1 + static_cast<std::size_t>(body.arena[0]);  // past the name
  for (std::uint8_t i = 0; i < body.attribute_count; ++i) {
    const std::byte* entry = body.arena + at;
    const auto key_size = static_cast<std::size_t>(entry[0]);
    const std::string_view key(reinterpret_cast<const char*>(entry + 1), key_size);
    const auto kind = static_cast<std::uint8_t>(entry[1 + key_size]);
    const std::byte* value = entry + 2 + key_size;
    if (kind == arena::kString) {
      std::uint16_t size;
      std::memcpy(&size, value, sizeof size);
      visit(key, std::string_view(reinterpret_cast<const char*>(value + sizeof size), size));
    } else if (kind == arena::kBool) {
      bool v;
      std::memcpy(&v, value, 1);
      visit(key, v);
    } else if (kind == arena::kInt) {
      std::int64_t v;
      std::memcpy(&v, value, sizeof v);
      visit(key, v);
    } else {
      double v;
      std::memcpy(&v, value, sizeof v);
      visit(key, v);
    }
    at += arena::entry_size(entry);
  }
}

// The span a record holds, whole (its context included): for a store's readers, and for an
// exporter that reads SpanData only (SpanExporter::export_records).
[[nodiscard]] SpanData to_span_data(const SpanRecord& record);

// A new key with a string value, when nothing else is to be done (see appends_plainly) and the
// value needs no truncation; false, with the record unchanged, otherwise: then the span's
// out-of-line setter takes it.
[[gnu::always_inline]] inline bool append_new_string(SpanRecord& record, std::string_view key,
                                                     std::string_view value) noexcept {
  const std::size_t size = arena::string_entry_size(key, value);
  const std::uint64_t bit = arena::key_bit(key);
  if (key.size() > arena::kMaxKey || value.size() > record.max_value_length ||
      value.size() > arena::kMaxString || !arena::appends_plainly(record, bit, size)) {
    return false;
  }
  arena::write_string_entry(arena::claim_entry(record, bit, size), key, value);
  return true;
}

// The same with a bool, std::int64_t or double value.
template <typename T>
[[gnu::always_inline]] inline bool append_new_scalar(SpanRecord& record, std::string_view key,
                                                     T value) noexcept {
  const std::size_t size = arena::scalar_entry_size<T>(key);
  const std::uint64_t bit = arena::key_bit(key);
  if (key.size() > arena::kMaxKey || !arena::appends_plainly(record, bit, size)) return false;
  arena::write_scalar_entry(arena::claim_entry(record, bit, size), key, value);
  return true;
}

}  // namespace lumen::trace::detail
