// SpanStoreProcessor: hands each span to the embedded store on the thread that ends it, when that
// store is the only place spans go. There is nothing to export, so a queue and an export thread
// would only carry each span to another core and back: at a gateway's saturation that trip cost
// a third of tracing's CPU (bench/RESULTS.md, "Goal 1 at saturation: where the span's cost comes
// from"). The store keeps each busy thread's spans in a part of its own, without a lock
// (InMemorySpanExporter's shards), so ending a span runs no locked instruction. Spans start as
// compact records (record_sink, the store itself: the tracer then starts them as records,
// src/trace/span_record.hpp), and each record goes into the store as its span ends, with no call
// through this processor; a span that moved to a SpanData comes through on_end. Either way the one
// the store evicts in its place goes back to the thread, where the next span started there takes
// it.
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <atomic>
#include <memory>

#include "lumen/export/memory_exporter.hpp"
#include "lumen/trace/batch_span_processor.hpp"
#include "lumen/trace/span_processor.hpp"

namespace lumen::detail {

class SpanStoreProcessor final : public trace::SpanProcessor {
 public:
  explicit SpanStoreProcessor(std::shared_ptr<exporters::InMemorySpanExporter> store)
      : store_(std::move(store)) {}

  // How many parts a store of `capacity` spans fed this way is split into: one for each of two
  // threads a CPU and a shared one, but none smaller than a few hundred spans (and two at least).
  [[nodiscard]] static std::size_t parts_for(std::size_t capacity) noexcept;

  void on_end(std::unique_ptr<trace::SpanData> span) noexcept override;
  // Spans start as records, and each goes into the store as it ends.
  trace::detail::SpanRecordSink* record_sink() noexcept override { return store_.get(); }
  // Every span is in the store once on_end returns.
  bool force_flush(std::chrono::milliseconds) noexcept override { return true; }
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;

  // In the batch processor's terms, for Runtime::span_stats() and the health metrics: every span
  // received is queued, exported and in a batch of its own; a failed keep (out of memory) counts
  // as a failed export. Counted by the store.
  [[nodiscard]] trace::BatchSpanProcessorStats stats() const noexcept;

 private:
  const std::shared_ptr<exporters::InMemorySpanExporter> store_;
  std::atomic<bool> shut_down_{false};
};

}  // namespace lumen::detail
