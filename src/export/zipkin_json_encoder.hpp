// Spans as a Zipkin v2 JSON list (POST /api/v2/spans), mapped as the OpenTelemetry specification's
// "OpenTelemetry to Zipkin Transformation" asks:
// - ids in lowercase hex (traceId 32, id and parentId 16 digits); timestamp and duration in
//   microseconds since the epoch (a span shorter than 1 us lasts 1, Zipkin's minimum);
// - kind CLIENT, SERVER, PRODUCER or CONSUMER; none for INTERNAL;
// - localEndpoint.serviceName is the resource's service.name; remoteEndpoint, for CLIENT and
//   PRODUCER spans, from the first of peer.service, server.address, net.peer.name,
//   network.peer.address, net.peer.ip, peer.hostname, peer.address, http.host, db.name (with
//   server.port / net.peer.port as its port);
// - attributes become tags as strings (arrays as JSON arrays); the status becomes
//   otel.status_code (OK, ERROR; none when unset) and, on ERROR, error = its description;
//   the scope becomes otel.scope.name / otel.scope.version; dropped counts
//   otel.dropped_{attributes,events,links}_count when not zero;
// - events become annotations: the name alone, or {"name":{attributes}} as a JSON string.
// Links and the tracestate have no Zipkin field and are not sent; neither is "shared" (an
// OpenTelemetry server span never reuses its client's span id).
#pragma once

#include <string>

#include "lumen/trace/span_exporter.hpp"

namespace lumen::exporters::detail {

[[nodiscard]] std::string encode_zipkin_spans(trace::SpanBatch batch);

}  // namespace lumen::exporters::detail
