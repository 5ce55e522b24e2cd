// TimedExporter: measures every export of a batch of spans into the histogram
// lumen.span_export.duration (seconds, result=success|failure): how long the collector or Jaeger
// takes to accept our spans, shown beside the spans dropped and failed.
#pragma once

#include <chrono>
#include <memory>

#include "lumen/metrics/instruments.hpp"
#include "lumen/trace/span_exporter.hpp"

namespace lumen::detail {

class TimedExporter final : public trace::SpanExporter {
 public:
  // `duration_owner` keeps the histogram's storage alive for as long as this exporter lives.
  TimedExporter(std::shared_ptr<trace::SpanExporter> inner, metrics::Histogram duration,
                std::shared_ptr<const void> duration_owner)
      : inner_(std::move(inner)), duration_owner_(std::move(duration_owner)), duration_(duration) {}

  trace::ExportResult export_spans(trace::SpanBatch batch, Deadline deadline) noexcept override {
    return timed([&] { return inner_->export_spans(batch, deadline); });
  }
  trace::ExportResult export_owned(trace::OwnedSpanBatch batch,
                                   Deadline deadline) noexcept override {
    return timed([&] { return inner_->export_owned(batch, deadline); });
  }
  // An inner exporter that reads compact records gets them through this one too.
  bool reads_records() const noexcept override { return inner_->reads_records(); }
  trace::ExportResult export_records(trace::OwnedSpanBatch spans, trace::RecordBatch records,
                                     Deadline deadline) noexcept override {
    return timed([&] { return inner_->export_records(spans, records, deadline); });
  }
  void shutdown(Deadline deadline) noexcept override { inner_->shutdown(deadline); }

 private:
  template <typename Export>
  trace::ExportResult timed(Export&& export_batch) noexcept {
    const auto start = std::chrono::steady_clock::now();
    const trace::ExportResult result = export_batch();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    duration_.record(seconds,
                     {{"result", result == trace::ExportResult::kSuccess ? "success" : "failure"}});
    return result;
  }

  std::shared_ptr<trace::SpanExporter> inner_;
  std::shared_ptr<const void> duration_owner_;
  metrics::Histogram duration_;
};

}  // namespace lumen::detail
