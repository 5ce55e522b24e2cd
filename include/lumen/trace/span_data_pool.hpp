// Recycling of SpanData objects, so that a steady stream of spans allocates nothing.
//
// The hot path takes a SpanData from the pool when a span starts; the processor gives it back
// after export, with its strings' and vectors' storage intact. Without this, the application
// thread allocates and the export thread frees, and the two fight over the allocator's lock.
// Processors that keep or drop spans by other means may simply let the unique_ptr delete them.
// Thread-safety: both functions may be called from any thread.
//
//   std::unique_ptr<lumen::trace::SpanData> data = lumen::trace::make_span_data();
//   ...
//   lumen::trace::recycle(std::move(data));
#pragma once

#include <cstddef>
#include <memory>
#include <span>

#include "lumen/trace/span_data.hpp"

namespace lumen::trace {

// A cleared SpanData, recycled when one is available, else new. Only `name` and `scope` may still
// hold old values: the caller always sets them, and an unchanged one then costs no copy (and, for
// the scope, no reference count update). A pooled SpanData therefore keeps its last scope, and the
// small state of the provider behind it, alive until it is reused.
[[nodiscard]] std::unique_ptr<SpanData> make_span_data();
// Keeps the span for reuse (or frees it when the pool is full); it is cleared when reused.
void recycle(std::unique_ptr<SpanData> span) noexcept;
// Keeps the spans for threads that run on `cpu` (the CPU number sched_getcpu() would give), and
// empties `spans`.
// A processor that knows where spans were made sends them back there, where the next span
// started finds their cache lines.
void recycle(std::span<std::unique_ptr<SpanData>> spans, std::size_t cpu) noexcept;

}  // namespace lumen::trace
