#include "lumen/export/otlp_http_exporter.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>

#include "core/stderr_line.hpp"
#include "export/http_sender.hpp"
#include "export/otlp_json_encoder.hpp"
#include "export/otlp_proto_encoder.hpp"
#include "export/otlp_response.hpp"
#include "lumen/core/error.hpp"

namespace lumen::exporters {
namespace {

using Steady = std::chrono::steady_clock;

// Distinct partial-success messages remembered for reporting once each; past this, new ones are
// rate-limited like failures so that a receiver inventing messages cannot grow memory.
constexpr std::size_t kMaxRememberedMessages = 64;

bool has_http_scheme(const std::string& url) {
  return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
}

detail::HttpSenderOptions sender_options(const OtlpHttpExporterOptions& o) {
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

std::string spans_text(std::size_t n) { return std::to_string(n) + (n == 1 ? " span" : " spans"); }

}  // namespace

struct OtlpHttpExporter::State {
  explicit State(OtlpHttpExporterOptions o) : options(std::move(o)), sender(sender_options(options)) {}

  const OtlpHttpExporterOptions options;
  detail::HttpSender sender;
  std::string body;  // reused between exports (one export at a time)
  std::atomic<bool> shut_down{false};

  std::atomic<std::uint64_t> spans_exported{0};
  std::atomic<std::uint64_t> spans_failed{0};
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> retries{0};

  mutable std::mutex mutex;  // guards what follows
  std::string last_error;
  Steady::time_point last_report{};
  bool reported_once = false;
  std::uint64_t suppressed = 0;
  std::set<std::string> partial_messages_seen;

  void emit(const std::string& line) const noexcept {
    try {
      if (options.report) {
        options.report(line);
      } else {
        lumen::detail::write_stderr_line(line);
      }
    } catch (...) {  // a throwing sink must not break the export path
    }
  }

  // Rate-limited: at most one line per report_interval, the next one counting what was held back.
  void report_limited(std::string line) {
    std::unique_lock lock(mutex);
    const auto now = Steady::now();
    if (reported_once && now - last_report < options.report_interval) {
      ++suppressed;
      return;
    }
    if (suppressed > 0) {
      line += " (" + std::to_string(suppressed) + " similar reports suppressed)";
    }
    suppressed = 0;
    reported_once = true;
    last_report = now;
    lock.unlock();
    emit(line);
  }

  void fail(std::size_t spans, const std::string& reason) {
    spans_failed.fetch_add(spans, std::memory_order_relaxed);
    {
      std::lock_guard lock(mutex);
      last_error = reason;
    }
    report_limited("lumen: OTLP export of " + spans_text(spans) + " to " + options.endpoint +
                   " failed: " + reason);
  }

  void handle_partial_success(std::size_t spans, const detail::PartialSuccess& partial) {
    const auto rejected = static_cast<std::uint64_t>(std::clamp<std::int64_t>(
        partial.rejected, 0, static_cast<std::int64_t>(spans)));
    spans_exported.fetch_add(spans - rejected, std::memory_order_relaxed);
    spans_failed.fetch_add(rejected, std::memory_order_relaxed);
    std::string line = "lumen: OTLP receiver at " + options.endpoint + " accepted the export with a warning";
    if (rejected > 0) {
      line = "lumen: OTLP receiver at " + options.endpoint + " rejected " + std::to_string(rejected) +
             " of " + spans_text(spans);
    }
    if (!partial.message.empty()) line += ": " + partial.message;
    bool first_time = false;
    bool remembered = false;
    {
      std::lock_guard lock(mutex);
      if (rejected > 0) last_error = line.substr(7);  // without the "lumen: " prefix
      remembered = partial_messages_seen.contains(partial.message);
      if (!remembered && partial_messages_seen.size() < kMaxRememberedMessages) {
        partial_messages_seen.insert(partial.message);
        first_time = true;
      }
    }
    if (first_time) {
      emit(line);
    } else if (!remembered) {
      report_limited(line);
    }
  }

  trace::ExportResult export_batch(trace::SpanBatch batch, Deadline deadline) {
    const std::size_t spans = batch.size();
    if (shut_down.load(std::memory_order_acquire)) {
      spans_failed.fetch_add(spans, std::memory_order_relaxed);
      return trace::ExportResult::kFailure;
    }
    if (spans == 0) return trace::ExportResult::kSuccess;
    const bool json = options.protocol == OtlpProtocol::kHttpJson;
    if (json) {
      body = detail::encode_trace_request_json(batch);
    } else {
      detail::encode_trace_request(batch, body);
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
      fail(spans, reason);
      return trace::ExportResult::kFailure;
    }
    if (auto partial = detail::parse_partial_success(result.response_body, json)) {
      handle_partial_success(spans, *partial);
    } else {
      spans_exported.fetch_add(spans, std::memory_order_relaxed);
    }
    return trace::ExportResult::kSuccess;
  }
};

OtlpHttpExporter::OtlpHttpExporter(OtlpHttpExporterOptions options) {
  if (!has_http_scheme(options.endpoint)) {
    throw Error("OTLP endpoint '" + options.endpoint +
                "' is not an http:// or https:// URL; set OTEL_EXPORTER_OTLP_ENDPOINT (for example "
                "http://localhost:4318) or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  }
  if (options.timeout <= std::chrono::milliseconds(0)) {
    throw Error("OTLP export timeout must be positive (OTEL_EXPORTER_OTLP_TIMEOUT, in milliseconds)");
  }
  state_ = std::make_unique<State>(std::move(options));
}

OtlpHttpExporter::~OtlpHttpExporter() = default;

trace::ExportResult OtlpHttpExporter::export_spans(trace::SpanBatch batch, Deadline deadline) noexcept {
  try {
    return state_->export_batch(batch, deadline);
  } catch (const std::exception& e) {  // out of memory while encoding
    try {
      state_->fail(batch.size(), std::string("internal error: ") + e.what());
    } catch (...) {
    }
    return trace::ExportResult::kFailure;
  } catch (...) {
    return trace::ExportResult::kFailure;
  }
}

void OtlpHttpExporter::shutdown(Deadline) noexcept {
  state_->shut_down.store(true, std::memory_order_release);
  state_->sender.abort();
}

OtlpHttpExporterStats OtlpHttpExporter::stats() const {
  OtlpHttpExporterStats s;
  s.spans_exported = state_->spans_exported.load(std::memory_order_relaxed);
  s.spans_failed = state_->spans_failed.load(std::memory_order_relaxed);
  s.requests = state_->requests.load(std::memory_order_relaxed);
  s.retries = state_->retries.load(std::memory_order_relaxed);
  std::lock_guard lock(state_->mutex);
  s.last_error = state_->last_error;
  return s;
}

}  // namespace lumen::exporters
