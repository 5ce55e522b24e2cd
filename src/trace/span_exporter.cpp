#include "lumen/trace/span_exporter.hpp"

#include <new>
#include <utility>
#include <vector>

#include "lumen/trace/span_data_pool.hpp"
#include "span_record.hpp"

namespace lumen::trace {

ExportResult SpanExporter::export_records(OwnedSpanBatch spans, RecordBatch records,
                                          Deadline deadline) noexcept {
  std::vector<std::unique_ptr<SpanData>> all;
  try {
    all.reserve(spans.size() + records.size());
    for (const detail::SpanRecord* record : records) {
      std::unique_ptr<SpanData> data = make_span_data();
      *data = detail::to_span_data(*record);
      all.push_back(std::move(data));
    }
  } catch (const std::bad_alloc&) {
    for (auto& data : all) recycle(std::move(data));
    return ExportResult::kFailure;
  }
  // The SpanData spans go last, and come back to `spans` after the export: the caller recycles
  // them, or what the exporter left in their place.
  const std::size_t converted = all.size();
  for (auto& span : spans) all.push_back(std::move(span));
  const ExportResult result = export_owned(all, deadline);
  for (std::size_t i = 0; i < spans.size(); ++i) spans[i] = std::move(all[converted + i]);
  for (std::size_t i = 0; i < converted; ++i) recycle(std::move(all[i]));
  return result;
}

}  // namespace lumen::trace
