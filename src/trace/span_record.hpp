// SpanRecord: a recording span's content in one block, for a processor that takes spans as records
// (SpanProcessor::record_sink): the Runtime's embedded store alone, and the batch processor when
// its exporter reads records (SpanExporter::reads_records).
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
#include <span>
#include <string_view>

#include "lumen/trace/internal/span_record.hpp"

namespace lumen::trace::detail {

// A record with nothing in it but its last scope: from the calling thread's pool, or from the
// shared pool of its CPU when that is empty, or new.
[[nodiscard]] SpanRecord* make_span_record();
// Gives `record` to the calling thread's pool (half of a full pool moves to its CPU's shared pool).
void recycle_record(SpanRecord* record) noexcept;
// Gives `records` to the shared pool of `cpu` (the CPU number sched_getcpu() would give), where
// the threads that run there take them: for an export thread, that hands records back in bulk.
void recycle_records(std::span<SpanRecord* const> records, std::size_t cpu) noexcept;

// Writes the name, first thing after make_span_record; false if it does not fit a record.
[[nodiscard]] bool set_record_name(SpanRecord& record, std::string_view name) noexcept;

// A new key's attribute is written into the record by Span::set itself (append_new_string and
// append_new_scalar, lumen/trace/internal/span_record.hpp); the rest by set_record_string and
// set_record_scalar (span_record_write.hpp).

// Fills a cleared SpanData (make_span_data) with the record's content: everything but the span's
// own context, which the caller sets.
void fill_span_data(const SpanRecord& record, SpanData& span);
// to_span_data, the span a record holds as a SpanData, is in lumen/trace/internal/span_record.hpp.

}  // namespace lumen::trace::detail
