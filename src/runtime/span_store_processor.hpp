// SpanStoreProcessor: hands each span to the embedded store on the thread that ends it, when that
// store is the only place spans go. There is nothing to export, so a queue and an export thread
// would only carry each span to another core and back: at a gateway's saturation that trip cost
// a third of tracing's CPU (bench/RESULTS.md, "Goal 1 at saturation: where the span's cost comes
// from"). The store keeps spans per CPU (InMemorySpanExporter's shards), so two cores do not take
// turns with one lock. It takes spans as compact records (record_sink: the tracer then starts
// them as records, src/trace/span_record.hpp) and copies each into the store as it ends; a span
// that moved to a SpanData comes through on_end, and the one the store evicts in its place is
// recycled on the spot, where the next span started on this thread takes it.
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <atomic>
#include <memory>

#include "lumen/core/internal/striped_counter.hpp"
#include "lumen/export/memory_exporter.hpp"
#include "lumen/trace/batch_span_processor.hpp"
#include "lumen/trace/span_processor.hpp"
#include "trace/span_record.hpp"

namespace lumen::detail {

// The record sink first: its keep(), on every span's end, is then called without an adjusting
// thunk, which the linker puts far from the hot code.
class SpanStoreProcessor final : public trace::detail::SpanRecordSink, public trace::SpanProcessor {
 public:
  explicit SpanStoreProcessor(std::shared_ptr<exporters::InMemorySpanExporter> store)
      : store_(std::move(store)) {}

  // How many parts a store of `capacity` spans fed this way is split into: one per CPU, but none
  // smaller than a few hundred spans.
  [[nodiscard]] static std::size_t parts_for(std::size_t capacity) noexcept;

  void on_end(std::unique_ptr<trace::SpanData> span) noexcept override;
  // Spans start as records, and each is copied into the store as it ends.
  trace::detail::SpanRecordSink* record_sink() noexcept override { return this; }
  void keep(const trace::detail::SpanRecord& record) noexcept override;
  // Every span is in the store once on_end returns.
  bool force_flush(std::chrono::milliseconds) noexcept override { return true; }
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;

  // In the batch processor's terms, for Runtime::span_stats() and the health metrics: every span
  // received is queued, exported and in a batch of its own; a failed keep (out of memory) counts
  // as a failed export.
  [[nodiscard]] trace::BatchSpanProcessorStats stats() const noexcept;

 private:
  const std::shared_ptr<exporters::InMemorySpanExporter> store_;
  std::atomic<bool> shut_down_{false};
  StripedCounter kept_;
  StripedCounter failed_;
};

}  // namespace lumen::detail
