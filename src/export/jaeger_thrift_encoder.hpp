// Encodes finished spans as jaeger.Batch structs (Thrift binary protocol), the body Jaeger's
// collector accepts on its Thrift-over-HTTP endpoint (/api/traces, application/x-thrift).
//
// The mapping follows OpenTelemetry's rules for non-OTLP exporters and Jaeger's IDL
// (jaeger-idl thrift/jaeger.thrift):
// - traceIdHigh/traceIdLow are the first/last 8 bytes of the trace id, read big-endian and sent
//   as the signed i64 with the same bits; spanId and parentSpanId likewise (parent 0 for a root).
// - startTime and duration are microseconds (truncated from nanoseconds).
// - flags: 1 when the span is sampled.
// - tags: the span's attributes (string, bool, int64 and double keep their type; arrays become a
//   JSON array in a string tag), then span.kind (not for internal spans), otel.status_code
//   ("OK"/"ERROR"), otel.status_description, error=true for an ERROR status, otel.scope.name and
//   otel.scope.version, and otel.dropped_{attributes,events,links}_count when non-zero.
// - logs: one per event, timestamp in microseconds, fields = "event" (the event's name) and then
//   the event's attributes.
// - references: one FOLLOWS_FROM per link (the parent travels in parentSpanId, as Jaeger expects).
// - Process: serviceName from the resource's service.name, tags from its other attributes.
//
//   std::vector<lumen::exporters::detail::JaegerBatch> batches =
//       lumen::exporters::detail::encode_jaeger_batches(spans);
//   for (const auto& b : batches) sender.send(b.body, deadline);
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "lumen/core/resource.hpp"
#include "lumen/trace/span_exporter.hpp"

namespace lumen::exporters::detail {

struct JaegerBatch {
  std::string body;  // a Thrift binary encoded jaeger.Batch
  std::size_t span_count = 0;
};

// One Batch per distinct resource among the spans (a Batch has one Process), in order of first
// appearance. Spans without a scope or resource go under an empty resource ("unknown_service").
[[nodiscard]] std::vector<JaegerBatch> encode_jaeger_batches(trace::SpanBatch spans);

// All `spans` under one Process built from `resource`.
[[nodiscard]] std::string encode_jaeger_batch(const Resource& resource,
                                              std::span<const trace::SpanData* const> spans);

// The value as JSON text; Jaeger tags carry array attributes so: ["a","b"], [1,2], [true], [1.5].
[[nodiscard]] std::string attribute_to_json(const AttributeValue& value);

}  // namespace lumen::exporters::detail
