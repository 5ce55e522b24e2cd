#include "lumen/export/otlp_metric_exporter.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>

#include "export/otlp_channel.hpp"
#include "export/otlp_metrics_encoder.hpp"
#include "lumen/core/error.hpp"

namespace lumen::exporters {

struct OtlpHttpMetricExporter::State {
  explicit State(OtlpHttpMetricExporterOptions o)
      : options(std::move(o)), channel(options, detail::kGrpcMetricsExport) {}

  const OtlpHttpMetricExporterOptions options;
  detail::OtlpChannel channel;
  std::atomic<std::uint64_t> succeeded{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> rejected{0};

  void fail(const std::string& reason) {
    failed.fetch_add(1, std::memory_order_relaxed);
    channel.set_last_error(reason);
    channel.reporter.report("lumen: OTLP metrics export to " + options.endpoint +
                            " failed: " + reason);
  }

  metrics::MetricExportResult export_snapshot(const metrics::MetricsSnapshot& snapshot,
                                              Deadline deadline) {
    if (channel.is_shut_down()) {
      fail("the exporter is shut down");
      return metrics::MetricExportResult::kFailure;
    }
    if (snapshot.metrics.empty()) return metrics::MetricExportResult::kSuccess;
    if (channel.json()) {
      channel.body = detail::encode_metrics_request_json(snapshot);
    } else {
      detail::encode_metrics_request(snapshot, channel.body);
    }
    deadline = std::min(deadline, std::chrono::steady_clock::now() + options.timeout);
    const detail::OtlpPostOutcome outcome = channel.post(deadline);
    if (!outcome.delivered) {
      fail(outcome.error);
      return metrics::MetricExportResult::kFailure;
    }
    succeeded.fetch_add(1, std::memory_order_relaxed);
    // ExportMetricsPartialSuccess has the trace response's layout (count = 1, message = 2).
    if (const auto& partial = outcome.partial) {
      const auto n = static_cast<std::uint64_t>(std::max<std::int64_t>(partial->rejected, 0));
      rejected.fetch_add(n, std::memory_order_relaxed);
      std::string line = "OTLP metrics receiver at " + options.endpoint + " rejected " +
                         std::to_string(n) + " data points";
      if (!partial->message.empty()) line += ": " + partial->message;
      if (n > 0) channel.set_last_error(line);
      channel.reporter.report("lumen: " + line);
    }
    return metrics::MetricExportResult::kSuccess;
  }
};

OtlpHttpMetricExporter::OtlpHttpMetricExporter(OtlpHttpMetricExporterOptions options) {
  if (options.endpoint.rfind("http://", 0) != 0 && options.endpoint.rfind("https://", 0) != 0) {
    throw Error("OTLP metrics endpoint '" + options.endpoint +
                "' is not an http:// or https:// URL; set OTEL_EXPORTER_OTLP_ENDPOINT (for example "
                "http://localhost:4318) or OTEL_EXPORTER_OTLP_METRICS_ENDPOINT");
  }
  if (options.timeout <= std::chrono::milliseconds(0)) {
    throw Error(
        "OTLP metrics export timeout must be positive (OTEL_EXPORTER_OTLP_METRICS_TIMEOUT, in ms)");
  }
  state_ = std::make_unique<State>(std::move(options));
}

OtlpHttpMetricExporter::~OtlpHttpMetricExporter() = default;

metrics::MetricExportResult OtlpHttpMetricExporter::export_metrics(
    const metrics::MetricsSnapshot& snapshot, Deadline deadline) noexcept {
  try {
    return state_->export_snapshot(snapshot, deadline);
  } catch (const std::exception& e) {  // out of memory while encoding
    try {
      state_->fail(std::string("internal error: ") + e.what());
    } catch (...) {
    }
  } catch (...) {
  }
  return metrics::MetricExportResult::kFailure;
}

metrics::Temporality OtlpHttpMetricExporter::temporality(
    metrics::InstrumentKind kind) const noexcept {
  return metrics::temporality_for(state_->options.temporality, kind);
}

void OtlpHttpMetricExporter::shutdown(Deadline) noexcept {
  state_->channel.shut_down();
}

OtlpHttpMetricExporterStats OtlpHttpMetricExporter::stats() const {
  return OtlpHttpMetricExporterStats{
      .exports_succeeded = state_->succeeded.load(std::memory_order_relaxed),
      .exports_failed = state_->failed.load(std::memory_order_relaxed),
      .points_rejected = state_->rejected.load(std::memory_order_relaxed),
      .requests = state_->channel.requests(),
      .retries = state_->channel.retries(),
      .last_error = state_->channel.last_error()};
}

}  // namespace lumen::exporters
