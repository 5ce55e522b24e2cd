#include "lumen/trace/span_data_pool.hpp"

#include <array>

#include "core/current_cpu.hpp"
#include "per_cpu_pools.hpp"

namespace lumen::trace {
namespace {

// Spans move between threads in handfuls: each thread keeps a small cache and trades with the
// shared pools a chunk at a time.
constexpr std::size_t kLocalCapacity = 64;
constexpr std::size_t kChunk = kLocalCapacity / 2;
// Enough for a full default queue plus a batch in flight; beyond it, spans are freed.
constexpr std::size_t kSharedCapacity = 4096;

using SharedPools = detail::PerCpuPools<SpanData>;

SharedPools& shared_pools() {
  // Leaked on purpose: threads may recycle spans during static destruction.
  static auto* pools = new SharedPools(kSharedCapacity);
  return *pools;
}

struct LocalCache {
  std::array<SpanData*, kLocalCapacity> spans;
  std::size_t size = 0;
  ~LocalCache() { shared_pools().give(spans.data(), size, current_cpu()); }
};

thread_local LocalCache t_cache;

void reset(SpanData& s) noexcept {
  s.context = SpanContext();
  s.parent_span_id = SpanId();
  s.parent_is_remote = false;
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
  // `scope` is kept: the tracer that starts the span replaces it only if it is another's.
}

// Asks for the cache lines that the next span start will write. A recycled span was last touched
// by the export thread, usually on another core, a whole queue ago: fetching its lines while the
// application runs hides most of that miss.
void prefetch_for_writing(const SpanData* next, const SpanData* after_next) noexcept {
  const char* bytes = reinterpret_cast<const char*>(after_next);
  for (std::size_t offset = 0; offset < sizeof(SpanData); offset += 64) {
    __builtin_prefetch(bytes + offset, 1);
  }
  // The object itself was prefetched one start ago, so reading its pointers is cheap now.
  if (const void* entries = next->attributes.storage()) {
    const char* e = static_cast<const char*>(entries);
    for (std::size_t offset = 0; offset < 4 * sizeof(Attribute); offset += 64) {
      __builtin_prefetch(e + offset, 1);
    }
  }
  __builtin_prefetch(next->name.data(), 1);
}

}  // namespace

std::unique_ptr<SpanData> make_span_data() {
  LocalCache& cache = t_cache;
  if (cache.size == 0) cache.size = shared_pools().take(cache.spans.data(), kChunk, current_cpu());
  if (cache.size == 0) return std::make_unique<SpanData>();
  SpanData* span = cache.spans[--cache.size];
  if (cache.size >= 2)
    prefetch_for_writing(cache.spans[cache.size - 1], cache.spans[cache.size - 2]);
  // Cleared here rather than in recycle(): the thread that starts the span writes these cache
  // lines anyway, while the export thread that recycles it has only read them.
  reset(*span);
  return std::unique_ptr<SpanData>(span);
}

void recycle(std::unique_ptr<SpanData> span) noexcept {
  if (!span) return;
  LocalCache& cache = t_cache;
  if (cache.size == kLocalCapacity) {
    cache.size -= kChunk;
    shared_pools().give(cache.spans.data() + cache.size, kChunk, current_cpu());
  }
  cache.spans[cache.size++] = span.release();
}

void recycle(std::span<std::unique_ptr<SpanData>> spans, std::size_t cpu) noexcept {
  std::array<SpanData*, kChunk> chunk;
  std::size_t size = 0;
  for (auto& span : spans) {
    if (!span) continue;
    chunk[size++] = span.release();
    if (size == kChunk) {
      shared_pools().give(chunk.data(), size, cpu);
      size = 0;
    }
  }
  if (size > 0) shared_pools().give(chunk.data(), size, cpu);
}

}  // namespace lumen::trace
