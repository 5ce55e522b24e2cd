#include "lumen/export/otlp_log_exporter.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>

#include "export/otlp_channel.hpp"
#include "export/otlp_logs_encoder.hpp"
#include "lumen/core/error.hpp"

namespace lumen::exporters {

struct OtlpHttpLogExporter::State {
  explicit State(OtlpHttpLogExporterOptions o)
      : options(std::move(o)), channel(options, detail::kGrpcLogsExport) {}

  const OtlpHttpLogExporterOptions options;
  detail::OtlpChannel channel;
  std::atomic<std::uint64_t> exported{0};
  std::atomic<std::uint64_t> failed{0};

  void fail(std::size_t records, const std::string& reason) {
    failed.fetch_add(records, std::memory_order_relaxed);
    channel.set_last_error(reason);
    channel.reporter.report("lumen: OTLP export of " + std::to_string(records) +
                            " log records to " + options.endpoint + " failed: " + reason);
  }

  log::LogExportResult export_batch(const log::LogBatch& batch, Deadline deadline) {
    const std::size_t records = batch.records.size();
    if (channel.is_shut_down()) {
      failed.fetch_add(records, std::memory_order_relaxed);
      return log::LogExportResult::kFailure;
    }
    if (records == 0) return log::LogExportResult::kSuccess;
    if (channel.json()) {
      channel.body = detail::encode_logs_request_json(batch);
    } else {
      detail::encode_logs_request(batch, channel.body);
    }
    deadline = std::min(deadline, std::chrono::steady_clock::now() + options.timeout);
    const detail::OtlpPostOutcome outcome = channel.post(deadline);
    if (!outcome.delivered) {
      fail(records, outcome.error);
      return log::LogExportResult::kFailure;
    }
    // ExportLogsPartialSuccess has the trace response's layout (rejected count = 1, message = 2).
    std::uint64_t rejected = 0;
    if (const auto& partial = outcome.partial) {
      rejected = static_cast<std::uint64_t>(
          std::clamp<std::int64_t>(partial->rejected, 0, static_cast<std::int64_t>(records)));
      std::string line = "OTLP logs receiver at " + options.endpoint + " rejected " +
                         std::to_string(rejected) + " of " + std::to_string(records) +
                         " log records";
      if (!partial->message.empty()) line += ": " + partial->message;
      if (rejected > 0) channel.set_last_error(line);
      channel.reporter.report("lumen: " + line);
    }
    exported.fetch_add(records - rejected, std::memory_order_relaxed);
    failed.fetch_add(rejected, std::memory_order_relaxed);
    return log::LogExportResult::kSuccess;
  }
};

OtlpHttpLogExporter::OtlpHttpLogExporter(OtlpHttpLogExporterOptions options) {
  if (options.endpoint.rfind("http://", 0) != 0 && options.endpoint.rfind("https://", 0) != 0) {
    throw Error("OTLP logs endpoint '" + options.endpoint +
                "' is not an http:// or https:// URL; set OTEL_EXPORTER_OTLP_ENDPOINT (for example "
                "http://localhost:4318) or OTEL_EXPORTER_OTLP_LOGS_ENDPOINT");
  }
  if (options.timeout <= std::chrono::milliseconds(0)) {
    throw Error(
        "OTLP logs export timeout must be positive (OTEL_EXPORTER_OTLP_LOGS_TIMEOUT, in ms)");
  }
  state_ = std::make_unique<State>(std::move(options));
}

OtlpHttpLogExporter::~OtlpHttpLogExporter() = default;

log::LogExportResult OtlpHttpLogExporter::export_logs(const log::LogBatch& batch,
                                                      Deadline deadline) noexcept {
  try {
    return state_->export_batch(batch, deadline);
  } catch (const std::exception& e) {  // out of memory while encoding
    try {
      state_->fail(batch.records.size(), std::string("internal error: ") + e.what());
    } catch (...) {
    }
  } catch (...) {
  }
  return log::LogExportResult::kFailure;
}

void OtlpHttpLogExporter::shutdown(Deadline) noexcept {
  state_->channel.shut_down();
}

OtlpHttpLogExporterStats OtlpHttpLogExporter::stats() const {
  return OtlpHttpLogExporterStats{
      .records_exported = state_->exported.load(std::memory_order_relaxed),
      .records_failed = state_->failed.load(std::memory_order_relaxed),
      .requests = state_->channel.requests(),
      .retries = state_->channel.retries(),
      .last_error = state_->channel.last_error()};
}

}  // namespace lumen::exporters
