#include "lumen/export/otlp_log_exporter.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>

#include "export/otlp_channel.hpp"
#include "export/otlp_logs_encoder.hpp"

namespace lumen::exporters {
namespace {

constexpr detail::OtlpEncoding<const log::LogBatch&> kLogsEncoding{
    .protobuf = &detail::encode_logs_request, .json = &detail::encode_logs_request_json};

}  // namespace

struct OtlpHttpLogExporter::State {
  explicit State(OtlpHttpLogExporterOptions options)
      : channel(std::move(options), detail::kOtlpLogs) {}

  detail::OtlpChannel channel;
  std::atomic<std::uint64_t> exported{0};
  std::atomic<std::uint64_t> failed{0};

  void fail(std::size_t records, const std::string& reason) {
    channel.fail("OTLP export of " + std::to_string(records) + " log records", reason);
    failed.fetch_add(records, std::memory_order_relaxed);  // after the reason, as for spans
  }

  log::LogExportResult export_batch(const log::LogBatch& batch, Deadline deadline) {
    const std::size_t records = batch.records.size();
    if (channel.is_shut_down()) {
      failed.fetch_add(records, std::memory_order_relaxed);
      return log::LogExportResult::kFailure;
    }
    if (records == 0) return log::LogExportResult::kSuccess;
    const detail::OtlpPostOutcome outcome = channel.send(batch, kLogsEncoding, deadline);
    if (!outcome.delivered) {
      fail(records, outcome.error);
      return log::LogExportResult::kFailure;
    }
    // ExportLogsPartialSuccess has the trace response's layout (rejected count = 1, message = 2).
    std::uint64_t rejected = 0;
    if (const auto& partial = outcome.partial) {
      rejected = static_cast<std::uint64_t>(
          std::clamp<std::int64_t>(partial->rejected, 0, static_cast<std::int64_t>(records)));
      channel.report_partial("OTLP logs receiver at " + channel.endpoint() + " rejected " +
                                 std::to_string(rejected) + " of " + std::to_string(records) +
                                 " log records",
                             *partial, rejected > 0);
    }
    exported.fetch_add(records - rejected, std::memory_order_relaxed);
    failed.fetch_add(rejected, std::memory_order_relaxed);
    return log::LogExportResult::kSuccess;
  }
};

OtlpHttpLogExporter::OtlpHttpLogExporter(OtlpHttpLogExporterOptions options)
    : state_(std::make_unique<State>(std::move(options))) {}

OtlpHttpLogExporter::~OtlpHttpLogExporter() = default;

log::LogExportResult OtlpHttpLogExporter::export_logs(const log::LogBatch& batch,
                                                      Deadline deadline) noexcept {
  return detail::export_without_throwing(
      log::LogExportResult::kFailure, [&] { return state_->export_batch(batch, deadline); },
      [&](const std::string& reason) { state_->fail(batch.records.size(), reason); });
}

void OtlpHttpLogExporter::shutdown(Deadline) noexcept {
  state_->channel.shut_down();
}

OtlpHttpLogExporterStats OtlpHttpLogExporter::stats() const {
  return state_->channel.with_transport_stats(
      OtlpHttpLogExporterStats{.records_exported = state_->exported.load(std::memory_order_relaxed),
                               .records_failed = state_->failed.load(std::memory_order_relaxed)});
}

}  // namespace lumen::exporters
