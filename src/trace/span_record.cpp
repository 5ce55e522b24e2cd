#include "span_record.hpp"

#include <array>
#include <cstddef>
#include <cstring>
#include <type_traits>
#include <utility>
#include <variant>

namespace lumen::trace::detail {
namespace {

std::size_t value_size(std::uint8_t kind, const std::byte* value) noexcept {
  if (kind == arena::kString) {
    std::uint16_t size;
    std::memcpy(&size, value, sizeof size);
    return sizeof size + size;
  }
  return kind == arena::kBool ? 1 : 8;
}

std::size_t attributes_begin(const SpanRecord::Body& body) noexcept {
  return 1 + static_cast<std::size_t>(body.arena[0]);
}

std::size_t entry_size(const std::byte* entry) noexcept {
  const auto key = static_cast<std::size_t>(entry[0]);
  const auto kind = static_cast<std::uint8_t>(entry[1 + key]);
  return 1 + key + 1 + value_size(kind, entry + 2 + key);
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
  if (name.size() > arena::kMaxKey) return false;
  record.body.arena[0] = static_cast<std::byte>(name.size());
  std::memcpy(record.body.arena + 1, name.data(), name.size());
  record.body.used = static_cast<std::uint16_t>(1 + name.size());
  return true;
}

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
    if (kind == arena::kString) {
      std::uint16_t size;
      std::memcpy(&size, value, sizeof size);
      span.attributes.append_string_unchecked(
          key, std::string_view(reinterpret_cast<const char*>(value + sizeof size), size));
    } else if (kind == arena::kBool) {
      bool v;
      std::memcpy(&v, value, 1);
      span.attributes.append_scalar_unchecked(key, v);
    } else if (kind == arena::kInt) {
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
