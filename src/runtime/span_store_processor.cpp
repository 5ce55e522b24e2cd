#include "span_store_processor.hpp"

#include <algorithm>
#include <thread>

#include "lumen/trace/span_data_pool.hpp"

namespace lumen::detail {

std::size_t SpanStoreProcessor::parts_for(std::size_t capacity) noexcept {
  constexpr std::size_t kMinPart = 256;
  // Two threads a core with a part of their own, and the part the others share.
  const std::size_t parts = 2 * std::max(1U, std::thread::hardware_concurrency()) + 1;
  return std::clamp<std::size_t>(capacity / kMinPart, std::min<std::size_t>(capacity, 2), parts);
}

void SpanStoreProcessor::on_end(std::unique_ptr<trace::SpanData> span) noexcept {
  if (shut_down_.load(std::memory_order_relaxed)) {
    trace::recycle(std::move(span));
    return;
  }
  std::unique_ptr<trace::SpanData> batch[] = {std::move(span)};
  // An in-memory keep has no deadline to meet.
  (void)store_->export_owned(batch, Deadline::max());  // a failure is counted by the store
  // The span the store evicted, or this one if it could not be kept.
  trace::recycle(std::move(batch[0]));
}

bool SpanStoreProcessor::shutdown(std::chrono::milliseconds timeout) noexcept {
  if (!shut_down_.exchange(true)) store_->shutdown(Deadline::clock::now() + timeout);
  return true;
}

trace::BatchSpanProcessorStats SpanStoreProcessor::stats() const noexcept {
  const std::uint64_t failed = store_->lost();
  const std::uint64_t kept = store_->received();
  return {.queued = kept + failed,
          .dropped = 0,
          .exported = kept,
          .export_failed = failed,
          .batches = kept + failed,
          .queue_size = 0};
}

}  // namespace lumen::detail
