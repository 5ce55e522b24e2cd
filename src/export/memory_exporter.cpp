#include "lumen/export/memory_exporter.hpp"

#include <algorithm>
#include <mutex>
#include <type_traits>

#include "core/current_cpu.hpp"
#include "core/prefetch.hpp"
#include "lumen/core/fork_safety.hpp"
#include "lumen/trace/span_data_pool.hpp"
#include "trace/span_record.hpp"

namespace lumen::exporters {

namespace {

// One kept span: a SpanData, or the record of a span that ended as one.
struct Slot {
  std::unique_ptr<trace::SpanData> span;  // null when `record` holds this slot's span
  std::unique_ptr<trace::detail::SpanRecord> record;

  [[nodiscard]] trace::SpanData read() const {
    return span ? *span : trace::detail::to_span_data(*record);
  }
};

// What a span with a handful of attributes writes of its record: its header, and the name and
// attributes of the gateway's span with room to spare.
constexpr std::size_t kPrefetchedRecordBytes = 384;

}  // namespace

// A ring, oldest at `oldest` once full. A new span takes the oldest one's place. A SpanData or a
// record that is evicted goes back to the thread that gave the new one, to be reused
// (export_owned, keep), or has the new one copied over it, reusing its strings and attribute
// storage (export_spans). The steady state (the embedded store of a busy service, always full)
// costs no allocation per span.
// On cache lines of its own: each part is written by the threads of one CPU.
struct alignas(64) InMemorySpanExporter::Shard {
  std::size_t capacity = 0;
  mutable std::mutex mutex;
  std::vector<Slot> slots;
  std::size_t oldest = 0;
  std::vector<std::size_t> batch_sizes;
  std::uint64_t evicted = 0;
  std::uint64_t received = 0;

  // The slot the next span goes to (the oldest one's, once full), or null with no capacity.
  Slot* next_slot() {
    if (slots.size() < capacity) return &slots.emplace_back();
    ++evicted;
    if (capacity == 0) return nullptr;
    Slot* slot = &slots[oldest];
    oldest = (oldest + 1) % capacity;
    return slot;
  }

  // Stores one span: a copy of it when `span` is const, else the span itself.
  template <typename SpanPtr>
  void keep(SpanPtr& span) {
    constexpr bool kOwned = !std::is_const_v<SpanPtr>;
    Slot* slot = next_slot();
    ++received;
    if (slot == nullptr) return;
    if constexpr (kOwned) {
      slot->span.swap(span);  // an evicted span goes back to the processor
    } else if (slot->span) {
      *slot->span = *span;
    } else {
      slot->span = std::make_unique<trace::SpanData>(*span);
    }
  }

  // Stores the record itself; returns the one it evicted (null if none, `record` with no capacity).
  trace::detail::SpanRecord* keep(trace::detail::SpanRecord* record) {
    Slot* slot = next_slot();
    ++received;
    if (slot == nullptr) return record;
    trace::detail::SpanRecord* evicted_record = slot->record.release();
    slot->record.reset(record);
    trace::recycle(std::move(slot->span));
    if (slots.size() == capacity) prefetch_next_record();
    return evicted_record;
  }

  // The next record evicted goes back to the thread, where the next span started there fills it.
  // Written a whole ring ago, its lines are long gone from this core's cache: asking for them now
  // lets that span write them without waiting.
  void prefetch_next_record() const noexcept {
    const Slot& next = slots[oldest];
    lumen::detail::prefetch_for_write(&next);
    if (const trace::detail::SpanRecord* r = next.record.get()) {
      // A fixed span of lines: reading how much of the record its last span wrote would wait for
      // the very line being asked for.
      const auto* bytes = reinterpret_cast<const char*>(r);
      for (std::size_t offset = 0; offset < kPrefetchedRecordBytes; offset += 64) {
        lumen::detail::prefetch_for_write(bytes + offset);
      }
    }
  }
};

struct InMemorySpanExporter::ForkHooks final : ForkAware {
  ForkHooks(Shard* parts, std::size_t part_count) : shards(parts), count(part_count) {
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
  std::size_t done = 0;
  try {
    std::lock_guard lock(shard.mutex);
    if (shard.batch_sizes.size() < shard.capacity) shard.batch_sizes.push_back(batch.size());
    for (auto& span : batch) {
      if (span) shard.keep(span);  // empty: another exporter of a fanout kept it
      ++done;
    }
    return trace::ExportResult::kSuccess;
  } catch (...) {
    // Out of memory: the rest of the batch is lost, counted, and reported.
    const auto rest = std::count_if(batch.begin() + static_cast<std::ptrdiff_t>(done), batch.end(),
                                    [](const auto& span) { return span != nullptr; });
    lost_.fetch_add(static_cast<std::uint64_t>(rest), std::memory_order_relaxed);
    return trace::ExportResult::kFailure;
  }
}

[[gnu::hot]] trace::detail::SpanRecord* InMemorySpanExporter::keep(
    trace::detail::SpanRecord* record) noexcept {
  Shard& shard = local_shard();
  try {
    std::lock_guard lock(shard.mutex);
    return shard.keep(record);
  } catch (...) {
    // Out of memory for a new slot, before the ring is full: the span is lost and counted.
    lost_.fetch_add(1, std::memory_order_relaxed);
    return record;
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
    out.reserve(out.size() + shard.slots.size());
    for (std::size_t i = 0; i < shard.slots.size(); ++i) {
      out.push_back(shard.slots[(shard.oldest + i) % shard.slots.size()].read());
    }
  }
  if (shard_count_ > 1) {
    std::stable_sort(
        out.begin(), out.end(),
        [](const trace::SpanData& a, const trace::SpanData& b) { return a.end_ns < b.end_ns; });
  }
  return out;
}

std::uint64_t InMemorySpanExporter::sum_over_parts(std::uint64_t (*count)(const Shard&)) const {
  std::uint64_t total = 0;
  for (std::size_t s = 0; s < shard_count_; ++s) {
    std::lock_guard lock(shards_[s].mutex);
    total += count(shards_[s]);
  }
  return total;
}

std::size_t InMemorySpanExporter::size() const {
  return sum_over_parts([](const Shard& shard) -> std::uint64_t { return shard.slots.size(); });
}

std::uint64_t InMemorySpanExporter::evicted() const {
  return sum_over_parts([](const Shard& shard) { return shard.evicted; });
}

std::uint64_t InMemorySpanExporter::received() const {
  return sum_over_parts([](const Shard& shard) { return shard.received; });
}

std::uint64_t InMemorySpanExporter::lost() const noexcept {
  return lost_.load(std::memory_order_relaxed);
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
    shard.slots.clear();
    shard.oldest = 0;
    shard.batch_sizes.clear();
    shard.evicted = 0;
  }
}

}  // namespace lumen::exporters
