#include "lumen/export/memory_exporter.hpp"

#include <algorithm>
#include <mutex>
#include <type_traits>

#include "core/current_cpu.hpp"
#include "lumen/core/fork_safety.hpp"

namespace lumen::exporters {

// A ring, oldest at `oldest` once full. A new span takes the oldest one's place, and the evicted
// span goes back to the processor to be reused (export_owned), or has the new one copied over it,
// reusing its strings and attribute storage (export_spans): the steady state (the embedded store of
// a busy service, always full) costs no allocation per span.
// On cache lines of its own: each part is written by the threads of one CPU.
struct alignas(64) InMemorySpanExporter::Shard {
  std::size_t capacity = 0;
  mutable std::mutex mutex;
  std::vector<std::unique_ptr<trace::SpanData>> spans;
  std::size_t oldest = 0;
  std::vector<std::size_t> batch_sizes;
  std::uint64_t evicted = 0;

  // Stores one span: a copy of it when `span` is const, else the span itself.
  template <typename SpanPtr>
  void keep(SpanPtr& span) {
    constexpr bool kOwned = !std::is_const_v<SpanPtr>;
    if (spans.size() < capacity) {
      if constexpr (kOwned) {
        spans.push_back(std::move(span));
      } else {
        spans.push_back(std::make_unique<trace::SpanData>(*span));
      }
      return;
    }
    ++evicted;
    if (capacity == 0) return;
    if constexpr (kOwned) {
      spans[oldest].swap(span);  // the evicted span goes back to the processor
    } else {
      *spans[oldest] = *span;
    }
    oldest = (oldest + 1) % capacity;
  }
};

struct InMemorySpanExporter::ForkHooks final : ForkAware {
  ForkHooks(Shard* shards, std::size_t count) : shards(shards), count(count) {
    ForkRegistry::add(this);
  }
  ~ForkHooks() { ForkRegistry::remove(this); }
  ForkHooks(const ForkHooks&) = delete;
  ForkHooks& operator=(const ForkHooks&) = delete;

  void before_fork() noexcept override {
    for (std::size_t i = 0; i < count; ++i) shards[i].mutex.lock();
  }
  void after_fork_in_parent() noexcept override { unlock_all(); }
  void after_fork_in_child() noexcept override { unlock_all(); }
  void unlock_all() noexcept {
    for (std::size_t i = 0; i < count; ++i) shards[i].mutex.unlock();
  }

  Shard* const shards;
  const std::size_t count;
};

InMemorySpanExporter::InMemorySpanExporter(std::size_t capacity, std::size_t shards)
    : shard_count_(std::max<std::size_t>(1, shards)),
      shards_(std::make_unique<Shard[]>(shard_count_)) {
  for (std::size_t i = 0; i < shard_count_; ++i) {
    shards_[i].capacity = capacity / shard_count_ + (i < capacity % shard_count_ ? 1 : 0);
  }
  fork_hooks_ = std::make_unique<ForkHooks>(shards_.get(), shard_count_);
}

InMemorySpanExporter::~InMemorySpanExporter() = default;

InMemorySpanExporter::Shard& InMemorySpanExporter::local_shard() noexcept {
  return shards_[shard_count_ == 1 ? 0 : current_cpu() % shard_count_];
}

template <typename Batch>
trace::ExportResult InMemorySpanExporter::keep_all(Batch batch) noexcept {
  Shard& shard = local_shard();
  try {
    std::lock_guard lock(shard.mutex);
    if (shard.batch_sizes.size() < shard.capacity) shard.batch_sizes.push_back(batch.size());
    for (auto& span : batch) {
      if (span) shard.keep(span);  // empty: another exporter of a fanout kept it
    }
    return trace::ExportResult::kSuccess;
  } catch (...) {
    return trace::ExportResult::kFailure;  // out of memory: the batch is lost and reported
  }
}

trace::ExportResult InMemorySpanExporter::export_spans(trace::SpanBatch batch, Deadline) noexcept {
  return keep_all(batch);
}

trace::ExportResult InMemorySpanExporter::export_owned(trace::OwnedSpanBatch batch,
                                                       Deadline) noexcept {
  return keep_all(batch);
}

std::vector<trace::SpanData> InMemorySpanExporter::spans() const {
  std::vector<trace::SpanData> out;
  for (std::size_t s = 0; s < shard_count_; ++s) {
    const Shard& shard = shards_[s];
    std::lock_guard lock(shard.mutex);
    out.reserve(out.size() + shard.spans.size());
    for (std::size_t i = 0; i < shard.spans.size(); ++i) {
      out.push_back(*shard.spans[(shard.oldest + i) % shard.spans.size()]);
    }
  }
  if (shard_count_ > 1) {
    std::stable_sort(
        out.begin(), out.end(),
        [](const trace::SpanData& a, const trace::SpanData& b) { return a.end_ns < b.end_ns; });
  }
  return out;
}

std::size_t InMemorySpanExporter::size() const {
  std::size_t total = 0;
  for (std::size_t s = 0; s < shard_count_; ++s) {
    std::lock_guard lock(shards_[s].mutex);
    total += shards_[s].spans.size();
  }
  return total;
}

std::uint64_t InMemorySpanExporter::evicted() const {
  std::uint64_t total = 0;
  for (std::size_t s = 0; s < shard_count_; ++s) {
    std::lock_guard lock(shards_[s].mutex);
    total += shards_[s].evicted;
  }
  return total;
}

std::vector<std::size_t> InMemorySpanExporter::batch_sizes() const {
  std::vector<std::size_t> out;
  for (std::size_t s = 0; s < shard_count_; ++s) {
    std::lock_guard lock(shards_[s].mutex);
    out.insert(out.end(), shards_[s].batch_sizes.begin(), shards_[s].batch_sizes.end());
  }
  return out;
}

void InMemorySpanExporter::clear() {
  for (std::size_t s = 0; s < shard_count_; ++s) {
    Shard& shard = shards_[s];
    std::lock_guard lock(shard.mutex);
    shard.spans.clear();
    shard.oldest = 0;
    shard.batch_sizes.clear();
    shard.evicted = 0;
  }
}

}  // namespace lumen::exporters
