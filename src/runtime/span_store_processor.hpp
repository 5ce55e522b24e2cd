// SpanStoreProcessor: hands each span to the embedded store on the thread that ends it, when that
// store is the only place spans go. There is nothing to export, so a queue and an export thread
// would only carry each span to another core and back: at a gateway's saturation that trip cost
// a third of tracing's CPU (bench/RESULTS.md, "Goal 1 at saturation: where the span's cost comes
// from"). The store keeps spans per CPU (InMemorySpanExporter's shards), so two cores do not take
// turns with one lock, and the span it evicts is recycled on the spot, where the next span
// started on this thread takes it.
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <atomic>
#include <memory>

#include "lumen/core/internal/striped_counter.hpp"
#include "lumen/export/memory_exporter.hpp"
#include "lumen/trace/batch_span_processor.hpp"
#include "lumen/trace/span_processor.hpp"

namespace lumen::detail {

class SpanStoreProcessor final : public trace::SpanProcessor {
 public:
  explicit SpanStoreProcessor(std::shared_ptr<exporters::InMemorySpanExporter> store)
      : store_(std::move(store)) {}

  void on_end(std::unique_ptr<trace::SpanData> span) noexcept override;
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
