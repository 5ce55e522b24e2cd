// SpanExporter: sends batches of finished spans somewhere (OTLP, Jaeger, memory, console).
//
// Called by one processor thread at a time; every call must return by its deadline, whatever the
// network does. Exporters count and report their own failures; they never throw.
//
//   class PrintExporter : public lumen::trace::SpanExporter {
//     lumen::trace::ExportResult export_spans(lumen::trace::SpanBatch batch,
//                                             lumen::Deadline) noexcept override { ... }
//   };
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "lumen/core/deadline.hpp"
#include "lumen/trace/span_data.hpp"

namespace lumen::trace {

enum class ExportResult : std::uint8_t { kSuccess, kFailure };

using SpanBatch = std::span<const std::unique_ptr<SpanData>>;
// A batch whose spans the exporter may keep (see SpanExporter::export_owned).
using OwnedSpanBatch = std::span<std::unique_ptr<SpanData>>;

namespace detail {
struct SpanRecord;
}  // namespace detail
// Not API: spans held as compact records (lumen/trace/internal/span_record.hpp), for an exporter
// that reads them (SpanExporter::reads_records).
using RecordBatch = std::span<detail::SpanRecord* const>;

class SpanExporter {
 public:
  virtual ~SpanExporter() = default;
  [[nodiscard]] virtual ExportResult export_spans(SpanBatch batch, Deadline deadline) noexcept = 0;
  // The same batch, for an exporter that keeps spans (a store): it may move any span out of
  // `batch`, leaving the entry empty or putting there a span it no longer needs, which the
  // processor then reuses. Keeping a span this way costs no copy, and leaves the span's memory
  // untouched by the export thread, so that the thread that starts the next span in it does not
  // fetch its cache lines back from another core. By default, export_spans.
  [[nodiscard]] virtual ExportResult export_owned(OwnedSpanBatch batch,
                                                  Deadline deadline) noexcept {
    return export_spans(batch, deadline);
  }
  // Not API: whether export_records reads compact records itself. If so, the batch processor has
  // its spans start as records (src/trace/span_record.hpp), which cost the application's thread
  // less than a SpanData, and hands them over as they are. Asked once, as the processor is made.
  [[nodiscard]] virtual bool reads_records() const noexcept { return false; }
  // Not API: a batch in two parts, the spans that moved to a SpanData (which the exporter may keep,
  // as with export_owned) and the spans still in records (which stay the caller's). Called instead
  // of export_owned when reads_records() is true. By default, each record is copied into a
  // SpanData, and the whole batch goes to export_owned.
  [[nodiscard]] virtual ExportResult export_records(OwnedSpanBatch spans, RecordBatch records,
                                                    Deadline deadline) noexcept;
  // Stops accepting spans; returns by the deadline.
  virtual void shutdown(Deadline) noexcept {}
};

}  // namespace lumen::trace
