#include "lumen/trace/span_data_pool.hpp"

#include <algorithm>
#include <array>
#include <mutex>
#include <thread>
#include <vector>

#include "core/current_cpu.hpp"
#include "lumen/core/fork_safety.hpp"
#include "lumen/core/internal/mutex.hpp"

namespace lumen::trace {
namespace {

// Spans move between threads in handfuls: each thread keeps a small cache and trades with the
// shared pools a chunk at a time, so that a span start or a recycle touches no shared cache line
// and takes no lock on almost every call.
constexpr std::size_t kLocalCapacity = 64;
constexpr std::size_t kChunk = kLocalCapacity / 2;
// Enough for a full default queue plus a batch in flight; beyond it, spans are freed.
constexpr std::size_t kSharedCapacity = 4096;
constexpr std::size_t kMaxPools = 16;

// One shared pool per CPU. A span is written by the thread that starts it: when it comes back to
// a thread on the same CPU, its cache lines are still there. Handed to the other core instead, each
// of them must cross over, and on a VM where that takes hundreds of nanoseconds a line, two
// producers on two cores lost more time to it than the span takes.
class SharedPools final : public ForkAware {
 public:
  SharedPools()
      : count_(std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, kMaxPools)),
        capacity_(kSharedCapacity / count_),
        pools_(count_) {
    for (Pool& pool : pools_) pool.free.reserve(capacity_);
    ForkRegistry::add(this);
  }

  // Moves up to `max` spans into `out`, from the pool of `cpu` first; returns how many.
  std::size_t take(SpanData** out, std::size_t max, std::size_t cpu) {
    const std::size_t home = cpu % count_;
    for (std::size_t i = 0; i < count_; ++i) {
      Pool& pool = pools_[(home + i) % count_];
      lumen::internal::MutexLock lock(pool.mutex);
      const std::size_t n = std::min(max, pool.free.size());
      for (std::size_t k = 0; k < n; ++k) {
        out[k] = pool.free.back();
        pool.free.pop_back();
      }
      if (n > 0) return n;
    }
    return 0;
  }

  // Keeps what fits in the pool of `cpu` and frees the rest.
  void give(SpanData* const* spans, std::size_t n, std::size_t cpu) {
    Pool& pool = pools_[cpu % count_];
    std::size_t kept = 0;
    {
      lumen::internal::MutexLock lock(pool.mutex);
      kept = std::min(n, capacity_ - pool.free.size());
      pool.free.insert(pool.free.end(), spans, spans + kept);
    }
    for (std::size_t i = kept; i < n; ++i) delete spans[i];
  }

  // A fork while another thread holds a lock would leave the child's pool locked forever.
  // Unchecked, as unlock_all(): a lock per pool, taken in a loop and released by other hooks.
  void before_fork() noexcept override LUMEN_NO_THREAD_SAFETY_ANALYSIS {
    for (Pool& pool : pools_) pool.mutex.lock();
  }
  void after_fork_in_parent() noexcept override { unlock_all(); }
  void after_fork_in_child() noexcept override { unlock_all(); }

 private:
  struct alignas(64) Pool {
    lumen::internal::Mutex mutex;
    std::vector<SpanData*> free LUMEN_GUARDED_BY(mutex);
  };

  // Unchecked: releases the locks before_fork() took (see there).
  void unlock_all() noexcept LUMEN_NO_THREAD_SAFETY_ANALYSIS {
    for (Pool& pool : pools_) pool.mutex.unlock();
  }

  const std::size_t count_;
  const std::size_t capacity_;  // of each pool
  std::vector<Pool> pools_;
};

SharedPools& shared_pools() {
  // Leaked on purpose: threads may recycle spans during static destruction.
  static auto* pools = new SharedPools;
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
