#include "lumen/export/otlp_metric_exporter.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>

#include "core/stderr_line.hpp"
#include "export/http_sender.hpp"
#include "export/otlp_metrics_encoder.hpp"
#include "export/otlp_response.hpp"
#include "lumen/core/error.hpp"

namespace lumen::exporters {
namespace {

using Steady = std::chrono::steady_clock;

detail::HttpSenderOptions sender_options(const OtlpHttpMetricExporterOptions& o) {
  return detail::HttpSenderOptions{
      .url = o.endpoint,
      .content_type = o.protocol == OtlpProtocol::kHttpJson ? "application/json"
                                                             : "application/x-protobuf",
      .headers = o.headers,
      .gzip = o.compression == OtlpCompression::kGzip,
      .initial_backoff = o.initial_backoff,
      .max_backoff = o.max_backoff,
      .max_attempts = std::max(1, o.max_attempts),
  };
}

}  // namespace

struct OtlpHttpMetricExporter::State {
  explicit State(OtlpHttpMetricExporterOptions o)
      : options(std::move(o)), sender(sender_options(options)) {}

  const OtlpHttpMetricExporterOptions options;
  detail::HttpSender sender;
  std::string body;  // reused between exports (one export at a time)
  std::atomic<bool> shut_down{false};

  std::atomic<std::uint64_t> succeeded{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> rejected{0};
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> retries{0};

  mutable std::mutex mutex;  // guards what follows
  std::string last_error;
  Steady::time_point last_report{};
  bool reported_once = false;
  std::uint64_t suppressed = 0;

  // At most one line per report_interval; the next one says how many were held back.
  void report(std::string line) noexcept {
    try {
      {
        std::lock_guard lock(mutex);
        const auto now = Steady::now();
        if (reported_once && now - last_report < options.report_interval) {
          ++suppressed;
          return;
        }
        if (suppressed > 0) line += " (" + std::to_string(suppressed) + " similar reports suppressed)";
        suppressed = 0;
        reported_once = true;
        last_report = now;
      }
      if (options.report) {
        options.report(line);
      } else {
        lumen::detail::write_stderr_line(line);
      }
    } catch (...) {  // a throwing sink must not break the export path
    }
  }

  void fail(const std::string& reason) {
    failed.fetch_add(1, std::memory_order_relaxed);
    {
      std::lock_guard lock(mutex);
      last_error = reason;
    }
    report("lumen: OTLP metrics export to " + options.endpoint + " failed: " + reason);
  }

  metrics::MetricExportResult export_snapshot(const metrics::MetricsSnapshot& snapshot,
                                              Deadline deadline) {
    if (shut_down.load(std::memory_order_acquire)) {
      fail("the exporter is shut down");
      return metrics::MetricExportResult::kFailure;
    }
    if (snapshot.metrics.empty()) return metrics::MetricExportResult::kSuccess;
    const bool json = options.protocol == OtlpProtocol::kHttpJson;
    if (json) {
      body = detail::encode_metrics_request_json(snapshot);
    } else {
      detail::encode_metrics_request(snapshot, body);
    }
    deadline = std::min(deadline, Steady::now() + options.timeout);
    const detail::HttpSendResult result = sender.send(body, deadline);
    requests.fetch_add(static_cast<std::uint64_t>(result.attempts), std::memory_order_relaxed);
    if (result.attempts > 1) {
      retries.fetch_add(static_cast<std::uint64_t>(result.attempts - 1), std::memory_order_relaxed);
    }
    if (!result.delivered) {
      std::string reason = result.error;
      if (result.status != 0) {
        const std::string description = detail::describe_error_body(result.response_body, json);
        if (!description.empty()) reason += " (" + description + ")";
      }
      fail(reason);
      return metrics::MetricExportResult::kFailure;
    }
    succeeded.fetch_add(1, std::memory_order_relaxed);
    // ExportMetricsPartialSuccess has the trace response's layout (count = 1, message = 2).
    if (auto partial = detail::parse_partial_success(result.response_body, json)) {
      const auto n = static_cast<std::uint64_t>(std::max<std::int64_t>(partial->rejected, 0));
      rejected.fetch_add(n, std::memory_order_relaxed);
      std::string line = "lumen: OTLP metrics receiver at " + options.endpoint + " rejected " +
                         std::to_string(n) + " data points";
      if (!partial->message.empty()) line += ": " + partial->message;
      if (n > 0) {
        std::lock_guard lock(mutex);
        last_error = line.substr(7);
      }
      report(line);
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
    throw Error("OTLP metrics export timeout must be positive (OTEL_EXPORTER_OTLP_METRICS_TIMEOUT, in ms)");
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

metrics::Temporality OtlpHttpMetricExporter::temporality(metrics::InstrumentKind kind) const noexcept {
  return metrics::temporality_for(state_->options.temporality, kind);
}

void OtlpHttpMetricExporter::shutdown(Deadline) noexcept {
  state_->shut_down.store(true, std::memory_order_release);
  state_->sender.abort();
}

OtlpHttpMetricExporterStats OtlpHttpMetricExporter::stats() const {
  OtlpHttpMetricExporterStats s;
  s.exports_succeeded = state_->succeeded.load(std::memory_order_relaxed);
  s.exports_failed = state_->failed.load(std::memory_order_relaxed);
  s.points_rejected = state_->rejected.load(std::memory_order_relaxed);
  s.requests = state_->requests.load(std::memory_order_relaxed);
  s.retries = state_->retries.load(std::memory_order_relaxed);
  std::lock_guard lock(state_->mutex);
  s.last_error = state_->last_error;
  return s;
}

}  // namespace lumen::exporters
