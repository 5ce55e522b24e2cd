// The OTLP/JSON encoding of ExportTraceServiceRequest (OTEL_EXPORTER_OTLP_PROTOCOL=http/json).
//
// Follows the OTLP specification's JSON mapping: lowerCamelCase field names, trace and span ids as
// lower-case hex strings (not base64), 64-bit integers as decimal strings, enums as integers,
// default values omitted. Same structure as the protobuf encoder: resource, then scope, then spans.
//
//   std::string body = lumen::exporters::detail::encode_trace_request_json(batch);
#pragma once

#include <string>

#include "export/mixed_span_batch.hpp"
#include "lumen/trace/span_exporter.hpp"

namespace lumen::exporters::detail {

// Invalid UTF-8 in strings is replaced with U+FFFD, as in the protobuf encoding.
[[nodiscard]] std::string encode_trace_request_json(trace::SpanBatch batch);
// The same for a batch in SpanData and compact records (each record read through a SpanData).
[[nodiscard]] std::string encode_trace_request_json(MixedSpanBatch batch);

}  // namespace lumen::exporters::detail
