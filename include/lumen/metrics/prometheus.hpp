// Prometheus text exposition format 0.0.4 and OpenMetrics 1.0 text, from a metrics snapshot.
//
//   auto format = lumen::metrics::negotiate_exposition_format(request_accept_header);
//   std::string body = lumen::metrics::serialize(provider.collect(), format);
//   response.set("Content-Type", lumen::metrics::content_type(format));
//
// Names follow the OpenTelemetry-to-Prometheus rules: characters outside [a-zA-Z0-9_:] become '_',
// the unit becomes a suffix ("s" -> "_seconds", "By" -> "_bytes", "ms" -> "_milliseconds"),
// monotonic sums end in "_total", non-monotonic sums are gauges, histograms expose cumulative
// `_bucket{le=...}` series with "+Inf" last plus `_sum` and `_count`. Resource attributes are
// exposed once as `target_info`. OpenMetrics output carries exemplars and ends with "# EOF".
// Metrics from different meters with the same exposed name are merged into one family.
#pragma once

#include <string>
#include <string_view>

#include "lumen/metrics/metric_data.hpp"

namespace lumen::metrics {

enum class ExpositionFormat { kPrometheusText, kOpenMetrics };

// OpenMetrics when the Accept header asks for application/openmetrics-text, else Prometheus text.
[[nodiscard]] ExpositionFormat negotiate_exposition_format(std::string_view accept_header) noexcept;
[[nodiscard]] std::string_view content_type(ExpositionFormat format) noexcept;

// Appends the exposition of `snapshot` to `out` (which may be reused between scrapes).
void serialize(const MetricsSnapshot& snapshot, ExpositionFormat format, std::string& out);
[[nodiscard]] std::string serialize(const MetricsSnapshot& snapshot, ExpositionFormat format);

// The exposed family name of a metric: sanitized, with the unit suffix, without "_total".
[[nodiscard]] std::string prometheus_name(const MetricData& metric);
// A label name from an attribute key: characters outside [a-zA-Z0-9_] become '_'.
[[nodiscard]] std::string prometheus_label_name(std::string_view key);

}  // namespace lumen::metrics
