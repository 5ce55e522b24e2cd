// FanoutExporter: hands each batch to several exporters in turn
// (OTEL_TRACES_EXPORTER=otlp,console), so that one queue and one worker serve them all.
#pragma once

#include <memory>
#include <vector>

#include "lumen/trace/span_exporter.hpp"

namespace lumen::detail {

class FanoutExporter final : public trace::SpanExporter {
 public:
  explicit FanoutExporter(std::vector<std::shared_ptr<trace::SpanExporter>> exporters)
      : exporters_(std::move(exporters)) {}

  // Succeeds only if every exporter succeeded; each gets the batch whatever the others did.
  trace::ExportResult export_spans(trace::SpanBatch batch, Deadline deadline) noexcept override {
    trace::ExportResult result = trace::ExportResult::kSuccess;
    for (const auto& e : exporters_) {
      if (e->export_spans(batch, deadline) != trace::ExportResult::kSuccess) {
        result = trace::ExportResult::kFailure;
      }
    }
    return result;
  }
  // Only the last exporter may keep spans: the others must see the whole batch first.
  trace::ExportResult export_owned(trace::OwnedSpanBatch batch,
                                   Deadline deadline) noexcept override {
    if (exporters_.empty()) return trace::ExportResult::kSuccess;
    trace::ExportResult result = trace::ExportResult::kSuccess;
    for (std::size_t i = 0; i + 1 < exporters_.size(); ++i) {
      if (exporters_[i]->export_spans(batch, deadline) != trace::ExportResult::kSuccess) {
        result = trace::ExportResult::kFailure;
      }
    }
    if (exporters_.back()->export_owned(batch, deadline) != trace::ExportResult::kSuccess) {
      result = trace::ExportResult::kFailure;
    }
    return result;
  }
  void shutdown(Deadline deadline) noexcept override {
    for (const auto& e : exporters_) e->shutdown(deadline);
  }

 private:
  std::vector<std::shared_ptr<trace::SpanExporter>> exporters_;
};

}  // namespace lumen::detail
