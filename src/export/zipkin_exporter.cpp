#include "lumen/export/zipkin_exporter.hpp"

#include "export/http_span_channel.hpp"
#include "export/zipkin_json_encoder.hpp"
#include "lumen/core/error.hpp"

namespace lumen::exporters {

ZipkinExporter::ZipkinExporter(ZipkinExporterOptions options) : options_(std::move(options)) {
  if (!options_.endpoint.starts_with("http://") && !options_.endpoint.starts_with("https://")) {
    throw Error(
        "The Zipkin endpoint (OTEL_EXPORTER_ZIPKIN_ENDPOINT) must be an http:// or https:// "
        "URL such as http://localhost:9411/api/v2/spans, not '" +
        options_.endpoint + "'");
  }
  channel_ = std::make_unique<detail::HttpSpanChannel>("Zipkin", options_, "application/json",
                                                       /*gzip=*/false);
}

ZipkinExporter::~ZipkinExporter() = default;

trace::ExportResult ZipkinExporter::export_spans(trace::SpanBatch batch,
                                                 Deadline deadline) noexcept {
  if (batch.empty()) return trace::ExportResult::kSuccess;
  if (!channel_->accepts(batch.size())) return trace::ExportResult::kFailure;
  std::string body;
  try {
    body = detail::encode_zipkin_spans(batch);
  } catch (const std::exception& e) {  // out of memory while encoding
    channel_->fail(batch.size(), std::string("cannot encode the batch: ") + e.what());
    return trace::ExportResult::kFailure;
  }
  return channel_->post(body, batch.size(), channel_->deadline_for(deadline))
             ? trace::ExportResult::kSuccess
             : trace::ExportResult::kFailure;
}

void ZipkinExporter::shutdown(Deadline) noexcept {
  channel_->shut_down();
}

ZipkinExporterStats ZipkinExporter::stats() const noexcept {
  return channel_->stats();
}

}  // namespace lumen::exporters
