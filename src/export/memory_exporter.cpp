#include "lumen/export/memory_exporter.hpp"

namespace lumen::exporters {

trace::ExportResult InMemorySpanExporter::export_spans(trace::SpanBatch batch, Deadline) noexcept {
  try {
    std::lock_guard lock(mutex_);
    if (batch_sizes_.size() < capacity_) batch_sizes_.push_back(batch.size());
    for (const auto& span : batch) {
      if (capacity_ == 0) {
        ++evicted_;
        continue;
      }
      if (spans_.size() == capacity_) {
        spans_.pop_front();
        ++evicted_;
      }
      spans_.push_back(*span);
    }
    return trace::ExportResult::kSuccess;
  } catch (...) {
    return trace::ExportResult::kFailure;  // out of memory: the batch is lost and reported
  }
}

std::vector<trace::SpanData> InMemorySpanExporter::spans() const {
  std::lock_guard lock(mutex_);
  return {spans_.begin(), spans_.end()};
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
  batch_sizes_.clear();
  evicted_ = 0;
}

}  // namespace lumen::exporters
