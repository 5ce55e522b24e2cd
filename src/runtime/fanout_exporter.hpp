// FanoutExporter: hands each batch to several exporters in turn
// (OTEL_TRACES_EXPORTER=otlp,console), so that one queue and one worker serve them all.
#pragma once

#include <memory>
#include <type_traits>
#include <vector>

#include "lumen/trace/span_exporter.hpp"

namespace lumen::detail {

class FanoutExporter final : public trace::SpanExporter {
 public:
  explicit FanoutExporter(std::vector<std::shared_ptr<trace::SpanExporter>> exporters)
      : exporters_(std::move(exporters)) {}

  // Succeeds only if every exporter succeeded; each gets the batch whatever the others did.
  trace::ExportResult export_spans(trace::SpanBatch batch, Deadline deadline) noexcept override {
    return export_each(batch, deadline);
  }
  // Only the last exporter may keep spans: the others must see the whole batch first.
  trace::ExportResult export_owned(trace::OwnedSpanBatch batch,
                                   Deadline deadline) noexcept override {
    return export_each(batch, deadline);
  }
  void shutdown(Deadline deadline) noexcept override {
    for (const auto& e : exporters_) e->shutdown(deadline);
  }

 private:
  template <typename Batch>
  trace::ExportResult export_each(Batch batch, Deadline deadline) noexcept {
    trace::ExportResult result = trace::ExportResult::kSuccess;
    for (std::size_t i = 0; i < exporters_.size(); ++i) {
      trace::ExportResult one;
      if constexpr (std::is_same_v<Batch, trace::OwnedSpanBatch>) {
        one = i + 1 == exporters_.size() ? exporters_[i]->export_owned(batch, deadline)
                                         : exporters_[i]->export_spans(batch, deadline);
      } else {
        one = exporters_[i]->export_spans(batch, deadline);
      }
      if (one != trace::ExportResult::kSuccess) result = trace::ExportResult::kFailure;
    }
    return result;
  }

  std::vector<std::shared_ptr<trace::SpanExporter>> exporters_;
};

}  // namespace lumen::detail
