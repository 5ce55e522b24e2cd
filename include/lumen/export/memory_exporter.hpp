// InMemorySpanExporter: keeps the most recent finished spans in memory. For tests, and the embedded
// default when no exporter is configured (so that a dashboard can show recent traces offline).
// Bounded: past `capacity` the oldest span is evicted and counted.
//
// With `shards` above 1 the store is split into that many parts, each with its share of the
// capacity, and a call keeps its spans in the part of the CPU that runs it: for a store that the
// threads of every core call as their spans end, with no queue in between (the Runtime's embedded
// store). A span then stays on the core that wrote it, and two cores do not take turns with one
// lock and one ring. spans() gives them ordered by end time, and a part evicts its own oldest, so
// the spans kept are the newest of each part rather than of all.
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
  // The part that keeps the calling thread's spans.
  Shard& local_shard() noexcept;
  // `count` of every part, each read under its lock, added up.
  [[nodiscard]] std::uint64_t sum_over_parts(std::uint64_t (*count)(const Shard&)) const;
  // Keeps every span of the batch in one part, under its lock: a copy of each when the batch is
  // const, else the spans themselves.
  template <typename Batch>
  trace::ExportResult keep_all(Batch batch) noexcept;

  const std::size_t shard_count_;
  std::unique_ptr<Shard[]> shards_;
  std::atomic<std::uint64_t> lost_{0};
  std::unique_ptr<ForkHooks> fork_hooks_;  // last: gone before the parts it locks
};
}  // namespace lumen::exporters
