// MixedSpanBatch: a batch in the two forms the batch processor hands an exporter that reads
// records (SpanExporter::export_records): spans in SpanData, and spans still in compact records.
#pragma once

#include <cstddef>

#include "lumen/trace/span_exporter.hpp"

namespace lumen::exporters::detail {

struct MixedSpanBatch {
  trace::SpanBatch spans;
  trace::RecordBatch records;

  [[nodiscard]] std::size_t size() const noexcept { return spans.size() + records.size(); }
};

}  // namespace lumen::exporters::detail
