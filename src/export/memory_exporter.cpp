#include "lumen/export/memory_exporter.hpp"

#include <algorithm>
#include <mutex>
#include <thread>
#include <type_traits>

#include "core/asymmetric_fence.hpp"
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

// A thread of the shared part looks for an idle part to take every this many of its spans.
constexpr std::uint64_t kSpansBetweenLooks = 256;

std::atomic<std::uint64_t> next_store_id{1};

// A thread's mark, which owns parts: what a reader waits on while that thread keeps a span in one
// without the lock. A thread's own memory rather than the part's, so that a thread that lost its
// part, and does not know yet, writes nothing the part's new owner uses. Given back when the
// thread exits, to the next thread that needs one, which then owns the same parts; never freed,
// so that a reader may still read a mark that has changed hands (it then waits a moment more).
struct alignas(64) OwnerMark {
  std::atomic<bool> busy{false};  // this thread is keeping a span in its part without the lock
};

// Marks given back by threads that exited. Its lock is taken across fork(): a thread that exits
// or takes its mark as another forks must not leave the child a lock that no thread will release.
struct FreeMarks final : ForkAware {
  FreeMarks() { ForkRegistry::add(this); }
  void before_fork() noexcept override { mutex.lock(); }
  void after_fork_in_parent() noexcept override { mutex.unlock(); }
  void after_fork_in_child() noexcept override { mutex.unlock(); }

  std::mutex mutex;
  std::vector<OwnerMark*> marks;
};
FreeMarks& free_marks() {
  static auto* marks = new FreeMarks;  // never destroyed: threads give back theirs at any time
  return *marks;
}

// What a thread remembers of the part it owns (trivial, so that the span's path reads it with no
// check that it was initialized).
struct ThreadPart {
  OwnerMark* mark = nullptr;  // given at this thread's first keep in a store in parts
  std::uint64_t store = 0;    // the store `part` belongs to; 0: none
  void* part = nullptr;
  std::uint64_t shared_spans = 0;  // kept in a shared part, in any store
  bool exited = false;             // the mark was given back: the thread is being torn down
};
constinit thread_local ThreadPart this_thread;

// Gives the thread's mark back as the thread exits.
struct MarkReturn {
  ~MarkReturn() {
    if (this_thread.mark == nullptr) return;
    FreeMarks& free = free_marks();
    std::lock_guard lock(free.mutex);
    free.marks.push_back(this_thread.mark);  // a push_back that fails leaks one mark, no more
    this_thread.mark = nullptr;
    this_thread.store = 0;
    this_thread.exited = true;
  }
};
thread_local MarkReturn mark_return;

// The calling thread's mark; null while the thread is being torn down, or out of memory.
OwnerMark* thread_mark() noexcept {
  if (this_thread.mark != nullptr || this_thread.exited) return this_thread.mark;
  try {
    (void)&mark_return;  // registers its destructor
    FreeMarks& free = free_marks();
    {
      std::lock_guard lock(free.mutex);
      if (!free.marks.empty()) {
        this_thread.mark = free.marks.back();
        free.marks.pop_back();
        return this_thread.mark;
      }
    }
    this_thread.mark = new OwnerMark;
  } catch (...) {
    return nullptr;  // no part of its own, then: the shared one
  }
  return this_thread.mark;
}

}  // namespace

// A ring, oldest at `oldest` once full. A new span takes the oldest one's place. A SpanData or a
// record that is evicted goes back to the thread that gave the new one, to be reused
// (export_owned, keep), or has the new one copied over it, reusing its strings and attribute
// storage (export_spans). The steady state (the embedded store of a busy service, always full)
// costs no allocation per span.
// On cache lines of its own: each part is written by one thread, or by the threads that share it.
//
// An owner keeps a span without the lock: it sets its mark's `busy`, then reads `wanted`
// (light_fence between), keeps the span, and clears `busy`. A reader, or a thread taking the part
// over, takes the lock, sets `wanted`, then reads the owner's `busy` (heavy_fence between) and
// waits until it is clear. So either the owner sees `wanted` and takes the lock instead, or the
// reader sees `busy` and waits for the span to be kept (src/core/asymmetric_fence.hpp).
struct alignas(64) InMemorySpanExporter::Shard {
  std::atomic<OwnerMark*> owner{nullptr};  // the owning thread's mark; null: none
  std::atomic<bool> wanted{false};
  // The owner's spans, counted by the owner alone: a part whose count stood still between two looks
  // is idle.
  std::atomic<std::uint64_t> owner_spans{0};
  std::uint64_t owner_spans_at_last_look = 0;  // under the lock

  // By the owner alone: a plain add, no locked instruction.
  void count_owner_span() noexcept {
    owner_spans.store(owner_spans.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

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
    if (++oldest == capacity) oldest = 0;  // no division: this runs as every span ends
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

void InMemorySpanExporter::exclude_owners(Shard* parts, std::size_t count) noexcept {
  if (count == 0) return;  // a store in one part has no owners, and needs no fence
  for (std::size_t i = 0; i < count; ++i) parts[i].wanted.store(true, std::memory_order_relaxed);
  lumen::detail::heavy_fence();
  for (std::size_t i = 0; i < count; ++i) {
    // The owner changes under the part's lock alone, except a claim of a part that had none, whose
    // first span goes through the lock.
    const OwnerMark* mark = parts[i].owner.load(std::memory_order_acquire);
    if (mark == nullptr) continue;
    // An owner is between two spans within nanoseconds, unless it was switched out mid-span.
    for (int spins = 0; mark->busy.load(std::memory_order_acquire); ++spins) {
      if (spins > 100) std::this_thread::yield();
    }
  }
}

struct InMemorySpanExporter::ForkHooks final : ForkAware {
  explicit ForkHooks(const InMemorySpanExporter& s) : store(s) { ForkRegistry::add(this); }
  ~ForkHooks() { ForkRegistry::remove(this); }
  ForkHooks(const ForkHooks&) = delete;
  ForkHooks& operator=(const ForkHooks&) = delete;

  // No owner is keeping a span either: a child must not inherit a part left half written by a
  // thread it does not have.
  void before_fork() noexcept override { store.lock_all_parts(); }
  void after_fork_in_parent() noexcept override { store.unlock_all_parts(); }
  void after_fork_in_child() noexcept override { store.unlock_all_parts(); }

  const InMemorySpanExporter& store;
};

InMemorySpanExporter::InMemorySpanExporter(std::size_t capacity, std::size_t shards)
    : id_(next_store_id.fetch_add(1, std::memory_order_relaxed)),
      shard_count_(std::max<std::size_t>(1, shards)),
      owned_count_(shard_count_ - 1),
      shards_(std::make_unique<Shard[]>(shard_count_)) {
  for (std::size_t i = 0; i < shard_count_; ++i) {
    shards_[i].capacity = capacity / shard_count_ + (i < capacity % shard_count_ ? 1 : 0);
  }
  fork_hooks_ = std::make_unique<ForkHooks>(*this);
}

InMemorySpanExporter::~InMemorySpanExporter() = default;

void InMemorySpanExporter::lock_all_parts() const noexcept {
  for (std::size_t i = 0; i < shard_count_; ++i) shards_[i].mutex.lock();
  exclude_owners(shards_.get(), owned_count_);
}

void InMemorySpanExporter::unlock_all_parts() const noexcept {
  for (std::size_t i = 0; i < owned_count_; ++i) {
    shards_[i].wanted.store(false, std::memory_order_release);
  }
  for (std::size_t i = shard_count_; i-- > 0;) shards_[i].mutex.unlock();
}

template <typename Use>
void InMemorySpanExporter::with_all_parts(Use&& use) const {
  lock_all_parts();
  struct Unlock {
    const InMemorySpanExporter& store;
    ~Unlock() { store.unlock_all_parts(); }
  } unlock{*this};
  for (std::size_t i = 0; i < shard_count_; ++i) use(shards_[i]);
}

InMemorySpanExporter::Shard* InMemorySpanExporter::owned_part() noexcept {
  if (owned_count_ == 0) return nullptr;
  OwnerMark* const me = thread_mark();
  if (me == nullptr) return nullptr;
  const auto remember = [this](Shard& part) {
    this_thread.store = id_;
    this_thread.part = &part;
    return &part;
  };
  for (std::size_t i = 0; i < owned_count_; ++i) {
    if (shards_[i].owner.load(std::memory_order_relaxed) == me) return remember(shards_[i]);
  }
  for (std::size_t i = 0; i < owned_count_; ++i) {
    OwnerMark* none = nullptr;
    if (shards_[i].owner.load(std::memory_order_relaxed) == nullptr &&
        shards_[i].owner.compare_exchange_strong(none, me)) {
      return remember(shards_[i]);
    }
  }
  if (++this_thread.shared_spans % kSpansBetweenLooks == 0) {
    if (Shard* taken = take_idle_part()) return remember(*taken);
  }
  if (this_thread.store == id_) this_thread.store = 0;
  return nullptr;
}

InMemorySpanExporter::Shard* InMemorySpanExporter::take_idle_part() noexcept {
  for (std::size_t i = 0; i < owned_count_; ++i) {
    Shard& part = shards_[i];
    std::lock_guard lock(part.mutex);
    const std::uint64_t spans = part.owner_spans.load(std::memory_order_relaxed);
    if (spans != part.owner_spans_at_last_look) {
      part.owner_spans_at_last_look = spans;
      continue;
    }
    exclude_owners(&part, 1);
    part.owner.store(this_thread.mark, std::memory_order_relaxed);
    part.wanted.store(false, std::memory_order_release);
    return &part;
  }
  return nullptr;
}

template <typename Keep>
auto InMemorySpanExporter::in_own_part(Keep&& keep) {
  if (this_thread.store == id_) {
    Shard& part = *static_cast<Shard*>(this_thread.part);
    OwnerMark& me = *this_thread.mark;
    me.busy.store(true, std::memory_order_relaxed);
    lumen::detail::light_fence();
    if (!part.wanted.load(std::memory_order_acquire) &&
        part.owner.load(std::memory_order_relaxed) == &me) {
      struct Done {
        Shard& part;
        OwnerMark& me;
        ~Done() {
          part.count_owner_span();
          me.busy.store(false, std::memory_order_release);
        }
      } done{part, me};
      return keep(part);
    }
    me.busy.store(false, std::memory_order_release);
  }
  for (;;) {
    Shard* own = owned_part();
    Shard& part = own != nullptr ? *own : shards_[shard_count_ - 1];
    std::lock_guard lock(part.mutex);
    if (own != nullptr) {
      // Taken over between the look and the lock: look again.
      if (part.owner.load(std::memory_order_relaxed) != this_thread.mark) continue;
      part.count_owner_span();
    }
    return keep(part);
  }
}

template <typename Batch>
trace::ExportResult InMemorySpanExporter::keep_all(Batch batch) noexcept {
  std::size_t done = 0;
  try {
    return in_own_part([&](Shard& shard) {
      if (shard.batch_sizes.size() < shard.capacity) shard.batch_sizes.push_back(batch.size());
      for (auto& span : batch) {
        if (span) shard.keep(span);  // empty: another exporter of a fanout kept it
        ++done;
      }
      return trace::ExportResult::kSuccess;
    });
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
  try {
    return in_own_part([record](Shard& shard) { return shard.keep(record); });
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
  with_all_parts([&out](const Shard& shard) {
    out.reserve(out.size() + shard.slots.size());
    for (std::size_t i = 0; i < shard.slots.size(); ++i) {
      out.push_back(shard.slots[(shard.oldest + i) % shard.slots.size()].read());
    }
  });
  if (shard_count_ > 1) {
    std::stable_sort(
        out.begin(), out.end(),
        [](const trace::SpanData& a, const trace::SpanData& b) { return a.end_ns < b.end_ns; });
  }
  return out;
}

std::size_t InMemorySpanExporter::size() const {
  std::size_t total = 0;
  with_all_parts([&total](const Shard& shard) { total += shard.slots.size(); });
  return total;
}

std::uint64_t InMemorySpanExporter::evicted() const {
  std::uint64_t total = 0;
  with_all_parts([&total](const Shard& shard) { total += shard.evicted; });
  return total;
}

std::uint64_t InMemorySpanExporter::received() const {
  std::uint64_t total = 0;
  with_all_parts([&total](const Shard& shard) { total += shard.received; });
  return total;
}

std::uint64_t InMemorySpanExporter::lost() const noexcept {
  return lost_.load(std::memory_order_relaxed);
}

std::vector<std::size_t> InMemorySpanExporter::batch_sizes() const {
  std::vector<std::size_t> out;
  with_all_parts([&out](const Shard& shard) {
    out.insert(out.end(), shard.batch_sizes.begin(), shard.batch_sizes.end());
  });
  return out;
}

void InMemorySpanExporter::clear() {
  with_all_parts([](Shard& shard) {
    shard.slots.clear();
    shard.oldest = 0;
    shard.batch_sizes.clear();
    shard.evicted = 0;
  });
}

}  // namespace lumen::exporters
