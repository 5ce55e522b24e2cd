// RecordReadingExporter: reads compact records as the OTLP exporter does, in export_records. It
// counts each batch's records and SpanData spans apart, and keeps a SpanData copy of each span,
// read from the record itself.
#pragma once

#include <cstddef>
#include <mutex>
#include <vector>

#include "lumen/trace/internal/span_record.hpp"
#include "lumen/trace/span_exporter.hpp"

namespace lumen::testing {

class RecordReadingExporter final : public trace::SpanExporter {
 public:
  trace::ExportResult export_spans(trace::SpanBatch batch, Deadline) noexcept override {
    std::lock_guard lock(mutex_);
    for (const auto& span : batch) kept_.push_back(*span);
    span_data_ += batch.size();
    return trace::ExportResult::kSuccess;
  }
  bool reads_records() const noexcept override { return true; }
  trace::ExportResult export_records(trace::OwnedSpanBatch spans, trace::RecordBatch records,
                                     Deadline) noexcept override {
    std::lock_guard lock(mutex_);
    for (const auto& span : spans) kept_.push_back(*span);
    for (const trace::detail::SpanRecord* record : records)
      kept_.push_back(trace::detail::to_span_data(*record));
    span_data_ += spans.size();
    records_ += records.size();
    return trace::ExportResult::kSuccess;
  }
  std::vector<trace::SpanData> kept() const {
    std::lock_guard lock(mutex_);
    return kept_;
  }
  std::size_t span_data() const {
    std::lock_guard lock(mutex_);
    return span_data_;
  }
  std::size_t records() const {
    std::lock_guard lock(mutex_);
    return records_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<trace::SpanData> kept_;
  std::size_t span_data_ = 0;
  std::size_t records_ = 0;
};

}  // namespace lumen::testing
