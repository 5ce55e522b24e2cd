#include "lumen/export/otlp_metric_exporter.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>

#include "export/otlp_channel.hpp"
#include "export/otlp_metrics_encoder.hpp"

namespace lumen::exporters {
namespace {

constexpr detail::OtlpEncoding<const metrics::MetricsSnapshot&> kMetricsEncoding{
    .protobuf = &detail::encode_metrics_request, .json = &detail::encode_metrics_request_json};

constexpr std::string_view kWhat = "OTLP metrics export";

}  // namespace

struct OtlpHttpMetricExporter::State {
  explicit State(OtlpHttpMetricExporterOptions options)
      : temporality(options.temporality), channel(std::move(options), detail::kOtlpMetrics) {}

  const metrics::TemporalityPreference temporality;
  detail::OtlpChannel channel;
  std::atomic<std::uint64_t> succeeded{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> rejected{0};

  void fail(const std::string& reason) {
    channel.fail(kWhat, reason);
    failed.fetch_add(1, std::memory_order_relaxed);  // after the reason, as for spans
  }

  metrics::MetricExportResult export_snapshot(const metrics::MetricsSnapshot& snapshot,
                                              Deadline deadline) {
    if (channel.is_shut_down()) {
      fail("the exporter is shut down");
      return metrics::MetricExportResult::kFailure;
    }
    if (snapshot.metrics.empty()) return metrics::MetricExportResult::kSuccess;
    const detail::OtlpPostOutcome outcome = channel.send(snapshot, kMetricsEncoding, deadline);
    if (!outcome.delivered) {
      fail(outcome.error);
      return metrics::MetricExportResult::kFailure;
    }
    succeeded.fetch_add(1, std::memory_order_relaxed);
    // ExportMetricsPartialSuccess has the trace response's layout (count = 1, message = 2).
    if (const auto& partial = outcome.partial) {
      const auto n = static_cast<std::uint64_t>(std::max<std::int64_t>(partial->rejected, 0));
      rejected.fetch_add(n, std::memory_order_relaxed);
      channel.report_partial("OTLP metrics receiver at " + channel.endpoint() + " rejected " +
                                 std::to_string(n) + " data points",
                             *partial, n > 0);
    }
    return metrics::MetricExportResult::kSuccess;
  }
};

OtlpHttpMetricExporter::OtlpHttpMetricExporter(OtlpHttpMetricExporterOptions options)
    : state_(std::make_unique<State>(std::move(options))) {}

OtlpHttpMetricExporter::~OtlpHttpMetricExporter() = default;

metrics::MetricExportResult OtlpHttpMetricExporter::export_metrics(
    const metrics::MetricsSnapshot& snapshot, Deadline deadline) noexcept {
  return detail::export_without_throwing(
      metrics::MetricExportResult::kFailure,
      [&] { return state_->export_snapshot(snapshot, deadline); },
      [&](const std::string& reason) { state_->fail(reason); });
}

metrics::Temporality OtlpHttpMetricExporter::temporality(
    metrics::InstrumentKind kind) const noexcept {
  return metrics::temporality_for(state_->temporality, kind);
}

void OtlpHttpMetricExporter::shutdown(Deadline) noexcept {
  state_->channel.shut_down();
}

OtlpHttpMetricExporterStats OtlpHttpMetricExporter::stats() const {
  return state_->channel.with_transport_stats(OtlpHttpMetricExporterStats{
      .exports_succeeded = state_->succeeded.load(std::memory_order_relaxed),
      .exports_failed = state_->failed.load(std::memory_order_relaxed),
      .points_rejected = state_->rejected.load(std::memory_order_relaxed)});
}

}  // namespace lumen::exporters
