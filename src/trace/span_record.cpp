#include "span_record.hpp"

#include <array>
#include <cstddef>
#include <cstring>
#include <type_traits>

#include "core/current_cpu.hpp"
#include "per_cpu_pools.hpp"

namespace lumen::trace::detail {
namespace {

constexpr std::size_t kPoolCapacity = 64;
constexpr std::size_t kChunk = kPoolCapacity / 2;
// A full default queue of the batch processor and a batch in flight; beyond it, records are freed.
constexpr std::size_t kSharedCapacity = 4096;

PerCpuPools<SpanRecord>& shared_pools() {
  // Leaked on purpose: threads may recycle records during static destruction.
  static auto* pools = new PerCpuPools<SpanRecord>(kSharedCapacity);
  return *pools;
}

// Records go back to the thread that ended their span, where the next span started takes the
// last one given back, its lines still in this core's cache. A record that an export thread
// hands back goes to the shared pool of the CPU its span was queued on (recycle_records), where
// a thread of that CPU takes it a chunk at a time.
struct RecordPool {
  std::array<SpanRecord*, kPoolCapacity> free;
  std::size_t size = 0;
  ~RecordPool() { shared_pools().give(free.data(), size, current_cpu()); }
};

thread_local RecordPool t_pool;

}  // namespace

[[gnu::hot]] SpanRecord* make_span_record() {
  RecordPool& pool = t_pool;
  if (pool.size == 0) [[unlikely]] {
    pool.size = shared_pools().take(pool.free.data(), kChunk, current_cpu());
  }
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
  if (pool.size == kPoolCapacity) [[unlikely]] {
    pool.size -= kChunk;
    shared_pools().give(pool.free.data() + pool.size, kChunk, current_cpu());
  }
  pool.free[pool.size++] = record;
}

void recycle_records(std::span<SpanRecord* const> records, std::size_t cpu) noexcept {
  shared_pools().give(records.data(), records.size(), cpu);
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
  span.name.assign(record_name(record));
  span.kind = body.kind;
  span.start_ns = body.start_ns;
  span.end_ns = body.end_ns;
  span.status = body.status;
  span.dropped_attributes = body.dropped_attributes;
  if (span.scope != record.scope) span.scope = record.scope;
  span.attributes.reserve(body.attribute_count);
  for_each_attribute(record, [&](std::string_view key, auto value) {
    if constexpr (std::is_same_v<decltype(value), std::string_view>) {
      span.attributes.append_string_unchecked(key, value);
    } else {
      span.attributes.append_scalar_unchecked(key, value);
    }
  });
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
