// Encoders of ExportLogsServiceRequest (opentelemetry-proto collector/logs/v1) from a LogBatch:
// protobuf, with the hand-written ProtoWriter, and the OTLP/JSON mapping. Independent of the
// transport (OTLP/HTTP today; gRPC carries the same bytes). One ResourceLogs for the batch's
// resource, one ScopeLogs for its scope, records in batch order, each with its times, severity
// number and text, body (a string AnyValue), attributes, trace id, span id and flags.
//
//   std::string body;
//   lumen::exporters::detail::encode_logs_request(batch, body);        // application/x-protobuf
//   std::string json = lumen::exporters::detail::encode_logs_request_json(batch);
#pragma once

#include <string>

#include "lumen/log/log_exporter.hpp"

namespace lumen::exporters::detail {

// Replaces `out` with the protobuf request; reuses out's capacity.
void encode_logs_request(const log::LogBatch& batch, std::string& out);
[[nodiscard]] std::string encode_logs_request_json(const log::LogBatch& batch);

}  // namespace lumen::exporters::detail
