#include "lumen/export/jaeger_exporter.hpp"

#include "export/http_span_channel.hpp"
#include "export/jaeger_thrift_encoder.hpp"
#include "lumen/core/error.hpp"

namespace lumen::exporters {
namespace {

void check_endpoint(const std::string& endpoint) {
  if (!endpoint.starts_with("http://") && !endpoint.starts_with("https://")) {
    throw Error(
        "The Jaeger endpoint (OTEL_EXPORTER_JAEGER_ENDPOINT or JAEGER_ENDPOINT) must be an "
        "http:// or https:// URL such as http://localhost:14268/api/traces, not '" +
        endpoint + "'");
  }
}

}  // namespace

JaegerExporter::JaegerExporter(JaegerExporterOptions options) : options_(std::move(options)) {
  check_endpoint(options_.endpoint);
  // Jaeger's collector does not accept compressed Thrift bodies.
  channel_ = std::make_unique<detail::HttpSpanChannel>("Jaeger", options_, "application/x-thrift",
                                                       /*gzip=*/false);
}

JaegerExporter::~JaegerExporter() = default;

trace::ExportResult JaegerExporter::export_spans(trace::SpanBatch batch,
                                                 Deadline deadline) noexcept {
  if (batch.empty()) return trace::ExportResult::kSuccess;
  if (!channel_->accepts(batch.size())) return trace::ExportResult::kFailure;
  std::vector<detail::JaegerBatch> encoded;
  try {
    encoded = detail::encode_jaeger_batches(batch);
  } catch (const std::exception& e) {
    channel_->fail(batch.size(), std::string("cannot encode the batch: ") + e.what());
    return trace::ExportResult::kFailure;
  }

  const Deadline effective = channel_->deadline_for(deadline);
  bool all_delivered = true;
  for (const detail::JaegerBatch& b : encoded) {
    if (!channel_->post(b.body, b.span_count, effective)) all_delivered = false;
  }
  return all_delivered ? trace::ExportResult::kSuccess : trace::ExportResult::kFailure;
}

void JaegerExporter::shutdown(Deadline) noexcept {
  channel_->shut_down();
}

JaegerExporterStats JaegerExporter::stats() const noexcept {
  return channel_->stats();
}

}  // namespace lumen::exporters
