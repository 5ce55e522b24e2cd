// CountingSpanExporter: accepts every batch and only counts its spans, so that a worker exporting
// to it drains as fast as it can. For tests about the processor, not about what is exported.
#pragma once

#include <atomic>
#include <cstdint>

#include "lumen/trace/span_exporter.hpp"

namespace lumen::testing {

class CountingSpanExporter final : public trace::SpanExporter {
 public:
  trace::ExportResult export_spans(trace::SpanBatch batch, Deadline) noexcept override {
    received.fetch_add(batch.size(), std::memory_order_relaxed);
    return trace::ExportResult::kSuccess;
  }
  std::atomic<std::uint64_t> received{0};
};

}  // namespace lumen::testing
