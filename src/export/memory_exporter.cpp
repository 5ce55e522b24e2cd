#include "lumen/export/memory_exporter.hpp"

namespace lumen::exporters {

trace::ExportResult InMemorySpanExporter::export_spans(trace::SpanBatch batch, Deadline) noexcept {
  try {
    std::lock_guard lock(mutex_);
    if (batch_sizes_.size() < capacity_) batch_sizes_.push_back(batch.size());
    for (const auto& span : batch) {
      if (spans_.size() < capacity_) {
        spans_.push_back(*span);
        continue;
      }
      ++evicted_;
      if (capacity_ == 0) continue;
      spans_[oldest_] = *span;
      oldest_ = (oldest_ + 1) % capacity_;
    }
    return trace::ExportResult::kSuccess;
  } catch (...) {
    return trace::ExportResult::kFailure;  // out of memory: the batch is lost and reported
  }
}

std::vector<trace::SpanData> InMemorySpanExporter::spans() const {
  std::lock_guard lock(mutex_);
  std::vector<trace::SpanData> oldest_first;
  oldest_first.reserve(spans_.size());
  const auto split = spans_.begin() + static_cast<std::ptrdiff_t>(oldest_);
  oldest_first.insert(oldest_first.end(), split, spans_.end());
  oldest_first.insert(oldest_first.end(), spans_.begin(), split);
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
