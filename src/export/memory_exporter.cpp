#include "lumen/export/memory_exporter.hpp"

#include <type_traits>

namespace lumen::exporters {

template <typename SpanPtr>
void InMemorySpanExporter::keep(SpanPtr& span) {
  constexpr bool kOwned = !std::is_const_v<SpanPtr>;
  if (spans_.size() < capacity_) {
    if constexpr (kOwned) {
      spans_.push_back(std::move(span));
    } else {
      spans_.push_back(std::make_unique<trace::SpanData>(*span));
    }
    return;
  }
  ++evicted_;
  if (capacity_ == 0) return;
  if constexpr (kOwned) {
    spans_[oldest_].swap(span);  // the evicted span goes back to the processor
  } else {
    *spans_[oldest_] = *span;
  }
  oldest_ = (oldest_ + 1) % capacity_;
}

template <typename Batch>
trace::ExportResult InMemorySpanExporter::keep_all(Batch batch) noexcept {
  try {
    std::lock_guard lock(mutex_);
    if (batch_sizes_.size() < capacity_) batch_sizes_.push_back(batch.size());
    for (auto& span : batch) {
      if (span) keep(span);  // empty: another exporter of a fanout kept it
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
  std::lock_guard lock(mutex_);
  std::vector<trace::SpanData> oldest_first;
  oldest_first.reserve(spans_.size());
  for (std::size_t i = 0; i < spans_.size(); ++i) {
    oldest_first.push_back(*spans_[(oldest_ + i) % spans_.size()]);
  }
  return oldest_first;
}

std::size_t InMemorySpanExporter::size() const {
  std::lock_guard lock(mutex_);
  return spans_.size();
}

std::uint64_t InMemorySpanExporter::evicted() const {
  std::lock_guard lock(mutex_);
  return evicted_;
}

std::vector<std::size_t> InMemorySpanExporter::batch_sizes() const {
  std::lock_guard lock(mutex_);
  return batch_sizes_;
}

void InMemorySpanExporter::clear() {
  std::lock_guard lock(mutex_);
  spans_.clear();
  oldest_ = 0;
  batch_sizes_.clear();
  evicted_ = 0;
}

}  // namespace lumen::exporters
