// BatchSpanProcessor: queues finished spans and exports them in batches on a background thread.
//
// on_end is lock-free: a push into a bounded queue, or a counted drop when the queue is full.
// The worker exports when a batch is full, when the scheduled delay passes, on force_flush and on
// shutdown. Every wait has a deadline: a hanging exporter cannot make force_flush, shutdown or the
// destructor hang, and once shutdown's deadline has passed nothing more is exported. Survives
// fork(): the child gets a fresh worker and an empty queue (the parent still exports what it had
// queued), and fork() waits up to 2 s for an export in progress so the child's exporter is whole.
// Thread-safety: all methods may be called concurrently.
//
//   auto processor = std::make_unique<lumen::trace::BatchSpanProcessor>(
//       exporter, lumen::trace::BatchSpanProcessorOptions{.max_queue_size = 2048});
//   processor->force_flush(std::chrono::seconds(2));
//   std::uint64_t lost = processor->dropped_spans();
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "lumen/trace/span_exporter.hpp"
#include "lumen/trace/span_processor.hpp"

namespace lumen {
class Clock;
}  // namespace lumen

namespace lumen::detail {
class BackgroundWorker;
}  // namespace lumen::detail

namespace lumen::trace {

struct BatchSpanProcessorOptions {
  std::size_t max_queue_size = 1000;        // OTEL_BSP_MAX_QUEUE_SIZE
  std::size_t max_export_batch_size = 512;  // OTEL_BSP_MAX_EXPORT_BATCH_SIZE
  std::chrono::milliseconds schedule_delay = std::chrono::seconds(5);    // OTEL_BSP_SCHEDULE_DELAY
  std::chrono::milliseconds export_timeout = std::chrono::seconds(30);   // OTEL_BSP_EXPORT_TIMEOUT
  std::chrono::milliseconds shutdown_timeout = std::chrono::seconds(5);  // for the destructor
  // What the delay, the export deadlines and force_flush's and shutdown's timeouts are measured
  // on, and so are the deadlines handed to the exporter; nullptr: the machine's clock. Tests pass
  // a ManualClock (lumen/core/clock.hpp) and advance it instead of waiting; it must outlive the
  // processor.
  const Clock* clock = nullptr;
};

struct BatchSpanProcessorStats {
  std::uint64_t queued = 0;         // accepted into the queue
  std::uint64_t dropped = 0;        // rejected (queue full), or left over when shutdown timed out
  std::uint64_t exported = 0;       // in batches the exporter accepted
  std::uint64_t export_failed = 0;  // in batches the exporter rejected
  std::uint64_t batches = 0;        // export calls made
  std::size_t queue_size = 0;       // now (approximate)
};

class BatchSpanProcessor final : public SpanProcessor {
 public:
  explicit BatchSpanProcessor(std::shared_ptr<SpanExporter> exporter,
                              BatchSpanProcessorOptions options = {});
  ~BatchSpanProcessor() override;

  void on_end(std::unique_ptr<SpanData> span) noexcept override;
  bool force_flush(std::chrono::milliseconds timeout) noexcept override;
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;
  // Not API: the processor itself, when its exporter reads compact records (reads_records()).
  [[nodiscard]] detail::SpanRecordSink* record_sink() noexcept override;

  [[nodiscard]] BatchSpanProcessorStats stats() const noexcept;
  [[nodiscard]] std::uint64_t dropped_spans() const noexcept { return stats().dropped; }

 private:
  struct State;
  std::shared_ptr<State> state_;  // shared with the worker, which may outlive a timed-out shutdown
  std::unique_ptr<lumen::detail::BackgroundWorker> worker_;
};

}  // namespace lumen::trace
