// InMemorySpanExporter: keeps the most recent finished spans in memory. For tests, and the embedded
// default when no exporter is configured (so that a dashboard can show recent traces offline).
// Bounded: past `capacity` the oldest span is evicted and counted.
//
// With `shards` above 1 the store is split into that many parts, each with its share of the
// capacity, for a store that every thread calls as its spans end, with no queue in between (the
// Runtime's embedded store). Each part but the last belongs to one thread at a time: the first
// threads to keep spans take one each and keep their spans there without a lock, so that ending a
// span runs no locked instruction (src/core/asymmetric_fence.hpp); the other threads share the last
// part, under its lock. A part whose thread kept nothing while a thread of the shared part kept 256
// spans, twice, goes to that thread: the busiest threads hold the parts. A thread that exits leaves
// its parts to the next new thread that keeps spans. Readers (spans(), size(), clear()...) take
// every part's lock and wait for the owners between two spans, a few microseconds. spans() gives
// them ordered by end time, and a part evicts its own oldest, so the spans kept are the newest of
// each part rather than of all.
// Thread-safety: all methods may be called concurrently.
//
//   auto memory = std::make_shared<lumen::exporters::InMemorySpanExporter>(4096);
//   ... run code ...
//   for (const lumen::trace::SpanData& s : memory->spans()) std::cout << s.name << '\n';
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "lumen/trace/span_exporter.hpp"
#include "lumen/trace/span_processor.hpp"

namespace lumen::exporters {

// The record sink first: its keep(), on every span's end when the Runtime feeds the store alone,
// is then called without an adjusting thunk, which the linker puts far from the hot code.
class InMemorySpanExporter final : public trace::detail::SpanRecordSink,
                                   public trace::SpanExporter {
 public:
  explicit InMemorySpanExporter(std::size_t capacity = 10'000, std::size_t shards = 1);
  ~InMemorySpanExporter() override;

  // Copies the spans.
  trace::ExportResult export_spans(trace::SpanBatch batch, Deadline deadline) noexcept override;
  // Keeps the spans themselves, and gives the evicted ones back in their place.
  trace::ExportResult export_owned(trace::OwnedSpanBatch batch,
                                   Deadline deadline) noexcept override;

  // Not API: keeps a span that ended as a compact record, the record itself (the Runtime's store
  // alone, src/runtime/span_store_processor.hpp), and returns the record it let go in its place.
  [[nodiscard]] trace::detail::SpanRecord* keep(
      trace::detail::SpanRecord* record) noexcept override;

  // Copies of the kept spans, oldest first (in one part: in the order received; in several: by
  // end time).
  [[nodiscard]] std::vector<trace::SpanData> spans() const;
  [[nodiscard]] std::size_t size() const;
  [[nodiscard]] std::uint64_t evicted() const;
  // Spans received since the store was made (clear() does not reset it), and those of them it
  // could not keep (out of memory).
  [[nodiscard]] std::uint64_t received() const;
  [[nodiscard]] std::uint64_t lost() const noexcept;
  // Sizes of every export call received, in order (how the processor batched); with several
  // parts, part after part.
  [[nodiscard]] std::vector<std::size_t> batch_sizes() const;
  void clear();

 private:
  struct Shard;
  // Takes every part's lock across fork(): threads keep spans at any moment, and a child must not
  // inherit a lock held by a thread it does not have.
  struct ForkHooks;
  // Runs keep(part) on the part that keeps the calling thread's spans: its own without a lock when
  // no reader is at work, else the part under its lock.
  template <typename Keep>
  auto in_own_part(Keep&& keep);
  // The part the calling thread owns, which it takes when one is free or idle; null: none.
  Shard* owned_part() noexcept;
  Shard* take_idle_part() noexcept;
  // Calls use(part) for every part with each part's lock held and no owner keeping a span.
  template <typename Use>
  void with_all_parts(Use&& use) const;
  // Sets `wanted` on parts[0, count), then waits until none of their owners is keeping a span.
  static void exclude_owners(Shard* parts, std::size_t count) noexcept;
  void lock_all_parts() const noexcept;
  void unlock_all_parts() const noexcept;
  // Keeps every span of the batch in one part: a copy of each when the batch is const, else the
  // spans themselves.
  template <typename Batch>
  trace::ExportResult keep_all(Batch batch) noexcept;

  const std::uint64_t id_;  // never reused: a thread's memory of its part names the store by it
  const std::size_t shard_count_;
  const std::size_t owned_count_;  // parts that a thread can own: all but the last, or none
  std::unique_ptr<Shard[]> shards_;
  std::atomic<std::uint64_t> lost_{0};
  std::unique_ptr<ForkHooks> fork_hooks_;  // last: gone before the parts it locks
};
}  // namespace lumen::exporters
