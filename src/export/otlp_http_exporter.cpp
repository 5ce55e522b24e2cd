#include "lumen/export/otlp_http_exporter.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>

#include "export/otlp_channel.hpp"
#include "export/otlp_json_encoder.hpp"
#include "export/otlp_proto_encoder.hpp"
#include "lumen/core/internal/mutex.hpp"

namespace lumen::exporters {
namespace {

// Distinct partial-success messages remembered for reporting once each; past this, new ones are
// rate-limited like failures so that a receiver inventing messages cannot grow memory.
constexpr std::size_t kMaxRememberedMessages = 64;

constexpr detail::OtlpEncoding<detail::MixedSpanBatch> kTraceEncoding{
    .protobuf = &detail::encode_trace_request, .json = &detail::encode_trace_request_json};

std::string spans_text(std::size_t n) {
  return std::to_string(n) + (n == 1 ? " span" : " spans");
}

}  // namespace

struct OtlpHttpExporter::State {
  explicit State(OtlpHttpExporterOptions options)
      : channel(std::move(options), detail::kOtlpTraces) {}

  detail::OtlpChannel channel;
  std::atomic<std::uint64_t> spans_exported{0};
  std::atomic<std::uint64_t> spans_failed{0};

  lumen::internal::Mutex mutex;
  std::set<std::string> partial_messages_seen LUMEN_GUARDED_BY(mutex);

  // The reason first: a reader that sees the failure counted sees why.
  void fail(std::size_t spans, const std::string& reason) {
    channel.fail("OTLP export of " + spans_text(spans), reason);
    spans_failed.fetch_add(spans, std::memory_order_relaxed);
  }

  // Unlike the other signals', a message seen for the first time is reported at once.
  void handle_partial_success(std::size_t spans, const detail::PartialSuccess& partial) {
    const auto rejected = static_cast<std::uint64_t>(
        std::clamp<std::int64_t>(partial.rejected, 0, static_cast<std::int64_t>(spans)));
    const std::string& endpoint = channel.endpoint();
    std::string line =
        "lumen: OTLP receiver at " + endpoint + " accepted the export with a warning";
    if (rejected > 0) {
      line = "lumen: OTLP receiver at " + endpoint + " rejected " + std::to_string(rejected) +
             " of " + spans_text(spans);
    }
    if (!partial.message.empty()) line += ": " + partial.message;
    bool first_time = false;
    bool remembered = false;
    if (rejected > 0) channel.set_last_error(line.substr(7));  // without the "lumen: " prefix
    spans_exported.fetch_add(spans - rejected, std::memory_order_relaxed);
    spans_failed.fetch_add(rejected, std::memory_order_relaxed);
    {
      lumen::internal::MutexLock lock(mutex);
      remembered = partial_messages_seen.contains(partial.message);
      if (!remembered && partial_messages_seen.size() < kMaxRememberedMessages) {
        partial_messages_seen.insert(partial.message);
        first_time = true;
      }
    }
    if (first_time) {
      channel.reporter.emit(line);
    } else if (!remembered) {
      channel.reporter.report(line);
    }
  }

  trace::ExportResult export_batch(detail::MixedSpanBatch batch, Deadline deadline) {
    const std::size_t spans = batch.size();
    if (channel.is_shut_down()) {
      spans_failed.fetch_add(spans, std::memory_order_relaxed);
      return trace::ExportResult::kFailure;
    }
    if (spans == 0) return trace::ExportResult::kSuccess;
    const detail::OtlpPostOutcome outcome = channel.send(batch, kTraceEncoding, deadline);
    if (!outcome.delivered) {
      fail(spans, outcome.error);
      return trace::ExportResult::kFailure;
    }
    if (outcome.partial) {
      handle_partial_success(spans, *outcome.partial);
    } else {
      spans_exported.fetch_add(spans, std::memory_order_relaxed);
    }
    return trace::ExportResult::kSuccess;
  }
};

OtlpHttpExporter::OtlpHttpExporter(OtlpHttpExporterOptions options)
    : state_(std::make_unique<State>(std::move(options))) {}

OtlpHttpExporter::~OtlpHttpExporter() = default;

trace::ExportResult OtlpHttpExporter::export_spans(trace::SpanBatch batch,
                                                   Deadline deadline) noexcept {
  return detail::export_without_throwing(
      trace::ExportResult::kFailure,
      [&] {
        return state_->export_batch({batch, {}}, deadline);
      },
      [&](const std::string& reason) { state_->fail(batch.size(), reason); });
}

trace::ExportResult OtlpHttpExporter::export_records(trace::OwnedSpanBatch spans,
                                                     trace::RecordBatch records,
                                                     Deadline deadline) noexcept {
  const detail::MixedSpanBatch batch{spans, records};
  return detail::export_without_throwing(
      trace::ExportResult::kFailure, [&] { return state_->export_batch(batch, deadline); },
      [&](const std::string& reason) { state_->fail(batch.size(), reason); });
}

void OtlpHttpExporter::shutdown(Deadline) noexcept {
  state_->channel.shut_down();
}

OtlpHttpExporterStats OtlpHttpExporter::stats() const {
  return state_->channel.with_transport_stats(OtlpHttpExporterStats{
      .spans_exported = state_->spans_exported.load(std::memory_order_relaxed),
      .spans_failed = state_->spans_failed.load(std::memory_order_relaxed)});
}

}  // namespace lumen::exporters
