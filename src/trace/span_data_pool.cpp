#include "lumen/trace/span_data_pool.hpp"

#include <array>
#include <mutex>
#include <vector>

#include "lumen/core/fork_safety.hpp"

namespace lumen::trace {
namespace {

// Spans move between threads in handfuls: each thread keeps a small cache and trades with the
// shared pool a chunk at a time, so that a span start or a recycle touches no shared cache line
// and takes no lock on almost every call.
constexpr std::size_t kLocalCapacity = 64;
constexpr std::size_t kChunk = kLocalCapacity / 2;
// Enough for a full default queue plus a batch in flight; beyond it, spans are freed.
constexpr std::size_t kSharedCapacity = 4096;

class SharedPool final : public ForkAware {
 public:
  SharedPool() {
    free_.reserve(kSharedCapacity);
    ForkRegistry::add(this);
  }

  // Moves up to `max` spans into `out`; returns how many.
  std::size_t take(SpanData** out, std::size_t max) {
    std::lock_guard lock(mutex_);
    const std::size_t n = std::min(max, free_.size());
    for (std::size_t i = 0; i < n; ++i) {
      out[i] = free_.back();
      free_.pop_back();
    }
    return n;
  }

  // Keeps what fits and frees the rest.
  void give(SpanData* const* spans, std::size_t n) {
    std::size_t kept = 0;
    {
      std::lock_guard lock(mutex_);
      kept = std::min(n, kSharedCapacity - free_.size());
      free_.insert(free_.end(), spans, spans + kept);
    }
    for (std::size_t i = kept; i < n; ++i) delete spans[i];
  }

  // A fork while another thread holds the lock would leave the child's pool locked forever.
  void before_fork() noexcept override { mutex_.lock(); }
  void after_fork_in_parent() noexcept override { mutex_.unlock(); }
  void after_fork_in_child() noexcept override { mutex_.unlock(); }

 private:
  std::mutex mutex_;
  std::vector<SpanData*> free_;
};

SharedPool& shared_pool() {
  // Leaked on purpose: threads may recycle spans during static destruction.
  static auto* pool = new SharedPool;
  return *pool;
}

struct LocalCache {
  std::array<SpanData*, kLocalCapacity> spans;
  std::size_t size = 0;
  ~LocalCache() { shared_pool().give(spans.data(), size); }
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
  s.scope = nullptr;
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
  if (cache.size == 0) cache.size = shared_pool().take(cache.spans.data(), kChunk);
  if (cache.size == 0) return std::make_unique<SpanData>();
  SpanData* span = cache.spans[--cache.size];
  if (cache.size >= 2) prefetch_for_writing(cache.spans[cache.size - 1], cache.spans[cache.size - 2]);
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
    shared_pool().give(cache.spans.data() + cache.size, kChunk);
  }
  cache.spans[cache.size++] = span.release();
}

}  // namespace lumen::trace
