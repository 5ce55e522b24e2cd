// InMemorySpanExporter: keeps the most recent finished spans in memory. For tests, and the embedded
// default when no exporter is configured (so that a dashboard can show recent traces offline).
// Bounded: past `capacity` the oldest span is evicted and counted.
// Thread-safety: all methods may be called concurrently.
//
//   auto memory = std::make_shared<lumen::exporters::InMemorySpanExporter>(4096);
//   ... run code ...
//   for (const lumen::trace::SpanData& s : memory->spans()) std::cout << s.name << '\n';
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "lumen/trace/span_exporter.hpp"

namespace lumen::exporters {

class InMemorySpanExporter final : public trace::SpanExporter {
 public:
  explicit InMemorySpanExporter(std::size_t capacity = 10'000) : capacity_(capacity) {}

  // Copies the spans.
  trace::ExportResult export_spans(trace::SpanBatch batch, Deadline deadline) noexcept override;
  // Keeps the spans themselves, and gives the evicted ones back in their place.
  trace::ExportResult export_owned(trace::OwnedSpanBatch batch,
                                   Deadline deadline) noexcept override;

  // Copies of the kept spans, oldest first.
  [[nodiscard]] std::vector<trace::SpanData> spans() const;
  [[nodiscard]] std::size_t size() const;
  [[nodiscard]] std::uint64_t evicted() const;
  // Sizes of every export call received, in order (how the processor batched).
  [[nodiscard]] std::vector<std::size_t> batch_sizes() const;
  void clear();

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  // Stores one span: a copy of it when `span` is const, else the span itself.
  template <typename SpanPtr>
  void keep(SpanPtr& span);
  // Keeps every span of the batch, as keep() does, under the lock.
  template <typename Batch>
  trace::ExportResult keep_all(Batch batch) noexcept;

  // A ring, oldest at `oldest_` once full. A new span takes the oldest one's place, and the
  // evicted span goes back to the processor to be reused (export_owned), or has the new one copied
  // over it, reusing its strings and attribute storage (export_spans): the steady state (the
  // embedded store of a busy service, always full) costs no allocation per span.
  std::vector<std::unique_ptr<trace::SpanData>> spans_;
  std::size_t oldest_ = 0;
  std::vector<std::size_t> batch_sizes_;
  std::uint64_t evicted_ = 0;
};

}  // namespace lumen::exporters
