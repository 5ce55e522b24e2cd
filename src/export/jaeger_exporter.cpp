#include "lumen/export/jaeger_exporter.hpp"

#include <sstream>

#include "core/stderr_line.hpp"
#include "export/http_sender.hpp"
#include "export/jaeger_thrift_encoder.hpp"
#include "lumen/core/error.hpp"

namespace lumen::exporters {
namespace {

void check_endpoint(const std::string& endpoint) {
  if (!endpoint.starts_with("http://") && !endpoint.starts_with("https://")) {
    throw Error("The Jaeger endpoint (OTEL_EXPORTER_JAEGER_ENDPOINT or JAEGER_ENDPOINT) must be an "
                "http:// or https:// URL such as http://localhost:14268/api/traces, not '" +
                endpoint + "'");
  }
}

}  // namespace

JaegerExporter::JaegerExporter(JaegerExporterOptions options) : options_(std::move(options)) {
  check_endpoint(options_.endpoint);
  sender_ = std::make_unique<detail::HttpSender>(detail::HttpSenderOptions{
      .url = options_.endpoint,
      .content_type = "application/x-thrift",
      .headers = options_.headers,
      .gzip = false,  // Jaeger's collector does not accept compressed Thrift bodies
      .initial_backoff = options_.initial_backoff,
      .max_attempts = options_.max_attempts,
  });
}

JaegerExporter::~JaegerExporter() = default;

trace::ExportResult JaegerExporter::export_spans(trace::SpanBatch batch, Deadline deadline) noexcept {
  if (batch.empty()) return trace::ExportResult::kSuccess;
  if (shut_down_.load(std::memory_order_acquire)) {
    spans_failed_.fetch_add(batch.size(), std::memory_order_relaxed);
    return trace::ExportResult::kFailure;
  }
  std::vector<detail::JaegerBatch> encoded;
  try {
    encoded = detail::encode_jaeger_batches(batch);
  } catch (const std::exception& e) {
    spans_failed_.fetch_add(batch.size(), std::memory_order_relaxed);
    requests_failed_.fetch_add(1, std::memory_order_relaxed);
    report_failure(std::string("cannot encode the batch: ") + e.what(), batch.size());
    return trace::ExportResult::kFailure;
  }

  const Deadline own_deadline = std::chrono::steady_clock::now() + options_.timeout;
  const Deadline effective = deadline < own_deadline ? deadline : own_deadline;
  bool all_delivered = true;
  for (const detail::JaegerBatch& b : encoded) {
    detail::HttpSendResult result;
    std::string failure;
    try {
      result = sender_->send(b.body, effective);
      if (!result.delivered) {
        std::ostringstream reason;
        reason << "POST " << options_.endpoint << " failed";
        if (result.status != 0) reason << " with HTTP " << result.status;
        reason << " after " << result.attempts << (result.attempts == 1 ? " attempt" : " attempts");
        if (!result.error.empty()) reason << ": " << result.error;
        failure = reason.str();
      }
    } catch (const std::exception& e) {
      failure = std::string("POST ") + options_.endpoint + " failed: " + e.what();
    }
    if (failure.empty()) {
      spans_exported_.fetch_add(b.span_count, std::memory_order_relaxed);
      requests_sent_.fetch_add(1, std::memory_order_relaxed);
      bytes_sent_.fetch_add(b.body.size(), std::memory_order_relaxed);
    } else {
      all_delivered = false;
      spans_failed_.fetch_add(b.span_count, std::memory_order_relaxed);
      requests_failed_.fetch_add(1, std::memory_order_relaxed);
      report_failure(failure, b.span_count);
    }
  }
  return all_delivered ? trace::ExportResult::kSuccess : trace::ExportResult::kFailure;
}

void JaegerExporter::shutdown(Deadline) noexcept {
  shut_down_.store(true, std::memory_order_release);
  sender_->abort();
}

JaegerExporterStats JaegerExporter::stats() const noexcept {
  return JaegerExporterStats{
      .spans_exported = spans_exported_.load(std::memory_order_relaxed),
      .spans_failed = spans_failed_.load(std::memory_order_relaxed),
      .requests_sent = requests_sent_.load(std::memory_order_relaxed),
      .requests_failed = requests_failed_.load(std::memory_order_relaxed),
      .bytes_sent = bytes_sent_.load(std::memory_order_relaxed),
  };
}

void JaegerExporter::report_failure(const std::string& reason, std::size_t spans) noexcept {
  try {
    std::lock_guard lock(report_mutex_);
    const std::uint64_t now_ns = options_.clock->monotonic_ns();
    const auto interval_ns = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(options_.report_interval).count());
    if (reported_once_ && now_ns - last_report_ns_ < interval_ns) {
      ++unreported_failures_;
      unreported_spans_ += spans;
      return;
    }
    std::ostringstream line;
    line << "lumen: Jaeger export: " << reason << "; " << spans
         << (spans == 1 ? " span" : " spans") << " dropped";
    if (unreported_failures_ != 0) {
      line << " (and " << unreported_failures_ << " earlier failed "
           << (unreported_failures_ == 1 ? "export" : "exports") << " with " << unreported_spans_
           << " spans since the last report)";
    }
    if (options_.diagnostics != nullptr) {
      *options_.diagnostics << line.str() << '\n' << std::flush;
    } else {
      lumen::detail::write_stderr_line(line.str());
    }
    reported_once_ = true;
    last_report_ns_ = now_ns;
    unreported_failures_ = 0;
    unreported_spans_ = 0;
  } catch (...) {
    // Reporting is best effort; the failure is already counted.
  }
}

}  // namespace lumen::exporters
