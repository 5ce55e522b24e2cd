// Encoders of ExportMetricsServiceRequest (opentelemetry-proto collector/metrics/v1) from a
// MetricsSnapshot: protobuf, with the hand-written ProtoWriter, and the OTLP/JSON mapping.
// One ResourceMetrics for the snapshot's resource, one ScopeMetrics per meter (in the order the
// meters first appear), monotonic and non-monotonic sums with their temporality, gauges, and
// explicit-bucket and base-2 exponential histograms; exemplars (trace id, span id, value, time)
// where the snapshot has them.
//
//   std::string body;
//   lumen::exporters::detail::encode_metrics_request(snapshot, body);        //
//   application/x-protobuf std::string json =
//   lumen::exporters::detail::encode_metrics_request_json(snapshot);
#pragma once

#include <string>

#include "lumen/metrics/metric_data.hpp"

namespace lumen::exporters::detail {

// AggregationTemporality values on the wire.
inline constexpr int kOtlpTemporalityDelta = 1;
inline constexpr int kOtlpTemporalityCumulative = 2;

// Replaces `out` with the protobuf request; reuses out's capacity.
void encode_metrics_request(const metrics::MetricsSnapshot& snapshot, std::string& out);
[[nodiscard]] std::string encode_metrics_request_json(const metrics::MetricsSnapshot& snapshot);

}  // namespace lumen::exporters::detail
