// What the Jaeger and Zipkin exporters share: the POST of an encoded batch through HttpSender
// within the exporter's own timeout, the counts their stats() show, the shut-down flag and the
// rate-limited failure report ("lumen: Jaeger export: POST ... failed ...; 2 spans dropped").
// Internal. Thread-safety: post() and fail() are called by one thread at a time (the exporter's
// caller); the other members from any thread.
//
//   detail::HttpSpanChannel channel("Zipkin", options, "application/json", /*gzip=*/false);
//   if (channel.post(detail::encode_zipkin_spans(batch), batch.size(), deadline)) ...
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "export/http_sender.hpp"
#include "export/rate_limited_reporter.hpp"
#include "lumen/core/clock.hpp"
#include "lumen/export/http_span_export_stats.hpp"

namespace lumen::exporters::detail {

class HttpSpanChannel {
 public:
  // JaegerExporterOptions and ZipkinExporterOptions name these members alike. `exporter` names
  // the exporter in report lines. Throws lumen::Error for a malformed endpoint (HttpSender).
  template <typename Options>
  // NOLINTNEXTLINE(performance-unnecessary-value-param): moved below; tidy 14 misreads templates
  HttpSpanChannel(const char* exporter, const Options& o, std::string content_type, bool gzip)
      : exporter_(exporter),
        endpoint_(o.endpoint),
        timeout_(o.timeout),
        clock_(*o.clock),
        sender_(HttpSenderOptions{
            .url = o.endpoint,
            .content_type = std::move(content_type),
            .headers = o.headers,
            .gzip = gzip,
            .initial_backoff = o.initial_backoff,
            .max_attempts = o.max_attempts,
            .clock = o.clock,
        }),
        reporter_(stream_sink(o.diagnostics), o.report_interval, *o.clock, "spans") {}

  // The earlier of `deadline` and the exporter's own timeout from now on the options' clock.
  [[nodiscard]] Deadline deadline_for(Deadline deadline) const noexcept;
  // Sends `body`, which holds `spans` spans, by `deadline`; counts the outcome and reports a
  // failure. True when the receiver accepted it.
  [[nodiscard]] bool post(const std::string& body, std::size_t spans, Deadline deadline) noexcept;
  // Counts `spans` as dropped by one failed request and reports why.
  void fail(std::size_t spans, const std::string& reason) noexcept;

  // False, counting the spans as failed, after shut_down().
  [[nodiscard]] bool accepts(std::size_t spans) noexcept;
  // Later batches are not accepted and a running post gives up at once.
  void shut_down() noexcept;
  [[nodiscard]] HttpSpanExportStats stats() const noexcept;

 private:
  const char* const exporter_;
  const std::string endpoint_;
  const std::chrono::milliseconds timeout_;
  const Clock& clock_;
  HttpSender sender_;
  RateLimitedReporter reporter_;
  std::atomic<bool> shut_down_{false};
  std::atomic<std::uint64_t> spans_exported_{0};
  std::atomic<std::uint64_t> spans_failed_{0};
  std::atomic<std::uint64_t> requests_sent_{0};
  std::atomic<std::uint64_t> requests_failed_{0};
  std::atomic<std::uint64_t> bytes_sent_{0};
};

}  // namespace lumen::exporters::detail
