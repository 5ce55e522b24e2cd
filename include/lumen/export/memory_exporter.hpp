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
#include <mutex>
#include <vector>

#include "lumen/trace/span_exporter.hpp"

namespace lumen::exporters {

class InMemorySpanExporter final : public trace::SpanExporter {
 public:
  explicit InMemorySpanExporter(std::size_t capacity = 10'000) : capacity_(capacity) {}

  trace::ExportResult export_spans(trace::SpanBatch batch, Deadline deadline) noexcept override;

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
  // A ring, oldest at `oldest_` once full: a new span is copied over the oldest one, whose strings
  // and attribute storage it reuses, so that the steady state (the embedded store of a busy
  // service, always full) costs no allocation per span.
  std::vector<trace::SpanData> spans_;
  std::size_t oldest_ = 0;
  std::vector<std::size_t> batch_sizes_;
  std::uint64_t evicted_ = 0;
};

}  // namespace lumen::exporters
