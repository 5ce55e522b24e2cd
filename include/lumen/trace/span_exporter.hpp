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

class SpanExporter {
 public:
  virtual ~SpanExporter() = default;
  [[nodiscard]] virtual ExportResult export_spans(SpanBatch batch, Deadline deadline) noexcept = 0;
  // Stops accepting spans; returns by the deadline.
  virtual void shutdown(Deadline) noexcept {}
};

}  // namespace lumen::trace
