#include "lumen/trace/span_data_pool.hpp"

#include "lumen/core/bounded_queue.hpp"

namespace lumen::trace {
namespace {

// Enough for a full default queue plus a batch in flight; beyond it, spans are freed.
constexpr std::size_t kPoolCapacity = 4096;

BoundedQueue<SpanData*>& pool() {
  // Leaked on purpose: spans may be recycled by threads still running during static destruction.
  static auto* queue = new BoundedQueue<SpanData*>(kPoolCapacity);
  return *queue;
}

void reset(SpanData& s) noexcept {
  s.context = SpanContext();
  s.parent_span_id = SpanId();
  s.parent_is_remote = false;
  s.name.clear();
  s.kind = SpanKind::kInternal;
  s.start_ns = 0;
  s.end_ns = 0;
  s.attributes.clear();
  s.dropped_attributes = 0;
  s.events.clear();
  s.dropped_events = 0;
  s.links.clear();
  s.dropped_links = 0;
  s.status = StatusCode::kUnset;
  s.status_message.clear();
  s.scope = nullptr;
}

}  // namespace

std::unique_ptr<SpanData> make_span_data() {
  SpanData* span = nullptr;
  if (pool().try_pop(span)) return std::unique_ptr<SpanData>(span);
  return std::make_unique<SpanData>();
}

void recycle(std::unique_ptr<SpanData> span) noexcept {
  if (!span) return;
  reset(*span);
  if (pool().try_push(span.get())) (void)span.release();
}

}  // namespace lumen::trace
