// SpanRecord: a recording span's content in one block, for a processor that keeps spans where
// they end (the Runtime's embedded store alone).
//
// A SpanData spreads a span over twenty-odd cache lines: the object, a vector of attribute entries
// of 72 bytes each, and heap strings for every key and value over 15 bytes. At a gateway's
// saturation each of those lines has left the core's caches between two requests, and filling
// them cost about 150 ns a span (bench/RESULTS.md, "Goal 1 at saturation"). A record holds the
// name and the string and scalar attributes packed in one arena, front to back: the gateway's span
// fills six lines. A span that needs more (events, links, arrays, a long name, a status
// description, more than the arena holds) moves to a SpanData on the spot (Span::promote), and
// goes on as before.
// Thread-safety: a record belongs to one span, used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "lumen/core/ids.hpp"
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
  // A bit for each key set (key_bit in span_record.cpp), while the span is open: a key whose bit is
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

// A record with nothing in it but its last scope, from the calling thread's pool, or new.
[[nodiscard]] SpanRecord* make_span_record();
// Gives `record` to the calling thread's pool (or frees it when the pool is full).
void recycle_record(SpanRecord* record) noexcept;

// Writes the name, first thing after make_span_record; false if it does not fit a record.
[[nodiscard]] bool set_record_name(SpanRecord& record, std::string_view name) noexcept;

// A span's attributes are written into its record by set_record_string and set_record_scalar
// (span_record_write.hpp).

// Fills a cleared SpanData (make_span_data) with the record's content: everything but the span's
// own context, which the caller sets.
void fill_span_data(const SpanRecord& record, SpanData& span);
// The span a record holds, whole (its context included), for a store's readers.
[[nodiscard]] SpanData to_span_data(const SpanRecord& record);

}  // namespace lumen::trace::detail
