#include "span_record.hpp"

#include <array>
#include <cstddef>
#include <cstring>
#include <type_traits>
#include <utility>
#include <variant>

namespace lumen::trace::detail {
namespace {

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

std::size_t value_size(std::uint8_t kind, const std::byte* value) noexcept {
  if (kind == kString) {
    std::uint16_t size;
    std::memcpy(&size, value, sizeof size);
    return sizeof size + size;
  }
  return kind == kBool ? 1 : 8;
}

std::size_t attributes_begin(const SpanRecord::Body& body) noexcept {
  return 1 + static_cast<std::size_t>(body.arena[0]);
}

std::size_t entry_size(const std::byte* entry) noexcept {
  const auto key = static_cast<std::size_t>(entry[0]);
  const auto kind = static_cast<std::uint8_t>(entry[1 + key]);
  return 1 + key + 1 + value_size(kind, entry + 2 + key);
}

// The index of `key`'s entry, or attribute_count when it has none.
std::size_t find(const SpanRecord& record, std::string_view key) noexcept {
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
std::byte* resize_entry(SpanRecord& record, std::size_t i, std::size_t size) noexcept {
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

// The key's bit in SpanRecord::key_bits, from its size and last byte: the keys of one span rarely
// share both.
std::uint64_t key_bit(std::string_view key) noexcept {
  const unsigned last = key.empty() ? 0U : static_cast<unsigned char>(key.back());
  return std::uint64_t{1} << ((key.size() * 7 + last) & 63U);
}

std::byte* write_key(std::byte* out, std::string_view key, std::uint8_t kind) noexcept {
  out[0] = static_cast<std::byte>(key.size());
  std::memcpy(out + 1, key.data(), key.size());
  out[1 + key.size()] = static_cast<std::byte>(kind);
  return out + 2 + key.size();
}

// Gives `key` an entry of `size` bytes, which `write` fills: in the place of the key's entry when
// it has one, else after the last, unless the count limit drops it (then counted, and kDone).
template <typename Write>
RecordWrite set_entry(SpanRecord& record, std::string_view key, std::size_t size,
                      std::uint32_t max_count, Write write) noexcept {
  SpanRecord::Body& body = record.body;
  const std::uint64_t bit = key_bit(key);
  const std::size_t i = (record.key_bits & bit) != 0 ? find(record, key) : body.attribute_count;
  if (i < body.attribute_count) {
    std::byte* out = resize_entry(record, i, size);
    if (out == nullptr) return RecordWrite::kNoRoom;
    write(out);
    return RecordWrite::kDone;
  }
  if (body.attribute_count >= max_count) {
    ++body.dropped_attributes;
    return RecordWrite::kDone;
  }
  if (body.attribute_count == SpanRecord::kMaxAttributes ||
      body.used + size > SpanRecord::kArenaBytes) {
    return RecordWrite::kNoRoom;
  }
  record.offsets[body.attribute_count++] = body.used;
  write(body.arena + body.used);
  body.used = static_cast<std::uint16_t>(body.used + size);
  record.key_bits |= bit;
  return RecordWrite::kDone;
}

constexpr std::size_t kPoolCapacity = 64;

// Records go back to the thread that ended their span, where the next span started takes the
// last one given back, its lines still in this core's cache.
struct RecordPool {
  std::array<SpanRecord*, kPoolCapacity> free;
  std::size_t size = 0;
  ~RecordPool() {
    for (std::size_t i = 0; i < size; ++i) delete free[i];
  }
};

thread_local RecordPool t_pool;

}  // namespace

[[gnu::hot]] SpanRecord* make_span_record() {
  RecordPool& pool = t_pool;
  SpanRecord* record = pool.size > 0 ? pool.free[--pool.size] : new SpanRecord();
  SpanRecord::Body& body = record->body;
  body.parent_span_id = SpanId();
  body.dropped_attributes = 0;
  body.used = 0;
  body.attribute_count = 0;
  record->key_bits = 0;
  body.parent_is_remote = false;
  body.status = StatusCode::kUnset;
  return record;
}

[[gnu::hot]] void recycle_record(SpanRecord* record) noexcept {
  RecordPool& pool = t_pool;
  if (pool.size < kPoolCapacity) {
    pool.free[pool.size++] = record;
  } else {
    delete record;
  }
}

bool set_record_name(SpanRecord& record, std::string_view name) noexcept {
  if (name.size() > kMaxKey) return false;
  record.body.arena[0] = static_cast<std::byte>(name.size());
  std::memcpy(record.body.arena + 1, name.data(), name.size());
  record.body.used = static_cast<std::uint16_t>(1 + name.size());
  return true;
}

[[gnu::hot]] RecordWrite set_record_string(SpanRecord& record, std::string_view key,
                                           std::string_view value,
                                           std::uint32_t max_count) noexcept {
  if (key.size() > kMaxKey || value.size() > kMaxString) return RecordWrite::kNoRoom;
  const std::size_t size = 2 + key.size() + 2 + value.size();
  return set_entry(record, key, size, max_count, [&](std::byte* out) {
    std::byte* v = write_key(out, key, kString);
    const auto n = static_cast<std::uint16_t>(value.size());
    std::memcpy(v, &n, sizeof n);
    std::memcpy(v + sizeof n, value.data(), value.size());
  });
}

template <typename T>
[[gnu::hot]] RecordWrite set_record_scalar(SpanRecord& record, std::string_view key, T value,
                                           std::uint32_t max_count) noexcept {
  if (key.size() > kMaxKey) return RecordWrite::kNoRoom;
  const std::size_t size = 2 + key.size() + (std::is_same_v<T, bool> ? 1 : 8);
  return set_entry(record, key, size, max_count, [&](std::byte* out) {
    std::byte* v = write_key(out, key, kind_of<T>());
    std::memcpy(v, &value, std::is_same_v<T, bool> ? 1 : 8);
  });
}
template RecordWrite set_record_scalar(SpanRecord&, std::string_view, bool, std::uint32_t);
template RecordWrite set_record_scalar(SpanRecord&, std::string_view, std::int64_t, std::uint32_t);
template RecordWrite set_record_scalar(SpanRecord&, std::string_view, double, std::uint32_t);

void fill_span_data(const SpanRecord& record, SpanData& span) {
  const SpanRecord::Body& body = record.body;
  span.parent_span_id = body.parent_span_id;
  span.parent_is_remote = body.parent_is_remote;
  const auto name_size = static_cast<std::size_t>(body.arena[0]);
  span.name.assign(reinterpret_cast<const char*>(body.arena + 1), name_size);
  span.kind = body.kind;
  span.start_ns = body.start_ns;
  span.end_ns = body.end_ns;
  span.status = body.status;
  span.dropped_attributes = body.dropped_attributes;
  if (span.scope != record.scope) span.scope = record.scope;
  span.attributes.reserve(body.attribute_count);
  std::size_t at = attributes_begin(body);
  for (std::uint8_t i = 0; i < body.attribute_count; ++i) {
    const std::byte* entry = body.arena + at;
    const auto key_size = static_cast<std::size_t>(entry[0]);
    const std::string_view key(reinterpret_cast<const char*>(entry + 1), key_size);
    const auto kind = static_cast<std::uint8_t>(entry[1 + key_size]);
    const std::byte* value = entry + 2 + key_size;
    if (kind == kString) {
      std::uint16_t size;
      std::memcpy(&size, value, sizeof size);
      span.attributes.append_string_unchecked(
          key, std::string_view(reinterpret_cast<const char*>(value + sizeof size), size));
    } else if (kind == kBool) {
      bool v;
      std::memcpy(&v, value, 1);
      span.attributes.append_scalar_unchecked(key, v);
    } else if (kind == kInt) {
      std::int64_t v;
      std::memcpy(&v, value, sizeof v);
      span.attributes.append_scalar_unchecked(key, v);
    } else {
      double v;
      std::memcpy(&v, value, sizeof v);
      span.attributes.append_scalar_unchecked(key, v);
    }
    at += entry_size(entry);
  }
}

SpanData to_span_data(const SpanRecord& record) {
  SpanData span;
  fill_span_data(record, span);
  const SpanRecord::Body& body = record.body;
  span.context =
      SpanContext(body.trace_id, body.span_id, body.flags, body.remote, record.trace_state);
  return span;
}

}  // namespace lumen::trace::detail
