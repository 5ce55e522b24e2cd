// OTLP/HTTP export end to end, how it is delivered: retries with backoff and Retry-After, what is
// not retried, deadlines against refused and hanging receivers, abort on shutdown, partial
// successes, rate-limited reports, keep-alive and fork. Receiver on 127.0.0.1 only.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "fork_child.hpp"
#include "otlp_test_fixtures.hpp"

namespace lumen::testing {
namespace {

using namespace std::chrono_literals;
using exporters::OtlpHttpExporter;
using exporters::OtlpProtocol;
using trace::ExportResult;
using Steady = std::chrono::steady_clock;

TEST(OtlpDelivery, ReusesOneConnectionAcrossExports) {
  HttpReceiver receiver;
  Reports reports;
  OtlpHttpExporter exporter(otlp_options_for(receiver, reports));
  SpanBatchFixture batch(1);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 5s), ExportResult::kSuccess);
  }
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 3U);
  EXPECT_EQ(requests[0].connection, requests[1].connection);  // keep-alive
  EXPECT_EQ(requests[1].connection, requests[2].connection);
  EXPECT_EQ(exporter.stats().spans_exported, 3U);
}

TEST(OtlpDelivery, Retries503WithRetryAfterZeroAndDeliversOnce) {
  HttpReceiver receiver;
  receiver.script({{503, "", {{"Retry-After", "0"}}}, {200, ""}});
  Reports reports;
  OtlpHttpExporter exporter(otlp_options_for(receiver, reports));
  SpanBatchFixture batch(2);
  ASSERT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 5s), ExportResult::kSuccess);
  // The export returned: every request it made has arrived; exactly the retry, nothing more.
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(requests[0].body, requests[1].body);
  EXPECT_EQ(first_decoded_span(requests[1])["spanId"], batch.span_id(0));
  const auto stats = exporter.stats();
  EXPECT_EQ(stats.spans_exported, 2U);
  EXPECT_EQ(stats.spans_failed, 0U);
  EXPECT_EQ(stats.requests, 2U);
  EXPECT_EQ(stats.retries, 1U);
  EXPECT_TRUE(reports.lines().empty());
}

TEST(OtlpDelivery, RetriesEachRetryableStatus) {
  for (int status : {429, 502, 503, 504}) {
    SCOPED_TRACE(status);
    HttpReceiver receiver;
    receiver.script({{status, ""}, {status, ""}, {200, ""}});
    Reports reports;
    OtlpHttpExporter exporter(otlp_options_for(receiver, reports));
    SpanBatchFixture batch(1);
    EXPECT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 5s), ExportResult::kSuccess);
    EXPECT_EQ(receiver.requests().size(), 3U);
    EXPECT_EQ(exporter.stats().retries, 2U);
  }
}

TEST(OtlpDelivery, Honours429RetryAfterSeconds) {
  HttpReceiver receiver;
  receiver.script({{429, "", {{"Retry-After", "1"}}}, {200, ""}});
  Reports reports;
  OtlpHttpExporter exporter(
      otlp_options_for(receiver, reports));  // backoff alone would be <= 20 ms
  SpanBatchFixture batch(1);
  const auto start = Steady::now();
  ASSERT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 5s), ExportResult::kSuccess);
  EXPECT_GE(Steady::now() - start, 950ms);
  EXPECT_EQ(receiver.requests().size(), 2U);
}

TEST(OtlpDelivery, GivesUpAtOnceWhenRetryAfterExceedsTheDeadline) {
  HttpReceiver receiver;
  receiver.script({{503, "", {{"Retry-After", "30"}}}});
  Reports reports;
  OtlpHttpExporter exporter(otlp_options_for(receiver, reports));
  SpanBatchFixture batch(1);
  const auto start = Steady::now();
  EXPECT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 2s), ExportResult::kFailure);
  EXPECT_LT(Steady::now() - start, 1s);
  EXPECT_EQ(receiver.requests().size(), 1U);
  EXPECT_NE(exporter.stats().last_error.find("HTTP 503"), std::string::npos)
      << exporter.stats().last_error;
}

TEST(OtlpDelivery, DoesNotRetryOtherClientAndServerErrors) {
  for (int status : {400, 401, 404, 413, 500}) {
    SCOPED_TRACE(status);
    HttpReceiver receiver;
    receiver.script({{status, "invalid span"}, {200, ""}});
    Reports reports;
    OtlpHttpExporter exporter(otlp_options_for(receiver, reports));
    SpanBatchFixture batch(3);
    EXPECT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 5s), ExportResult::kFailure);
    EXPECT_EQ(receiver.requests().size(), 1U);
    const auto stats = exporter.stats();
    EXPECT_EQ(stats.spans_failed, 3U);
    EXPECT_EQ(stats.spans_exported, 0U);
    EXPECT_EQ(stats.retries, 0U);
    EXPECT_NE(stats.last_error.find("HTTP " + std::to_string(status)), std::string::npos)
        << stats.last_error;
    EXPECT_NE(stats.last_error.find("invalid span"), std::string::npos) << stats.last_error;
    const auto lines = reports.lines();
    ASSERT_EQ(lines.size(), 1U);
    EXPECT_NE(lines[0].find("failed: HTTP " + std::to_string(status)), std::string::npos)
        << lines[0];
    EXPECT_EQ(lines[0].find('\n'), std::string::npos);  // one line
  }
}

TEST(OtlpDelivery, RetriesRefusedConnectionsUntilTheDeadlineThenFailsClearly) {
  Reports reports;
  const std::string endpoint =
      "http://127.0.0.1:" + std::to_string(closed_loopback_port()) + "/v1/traces";
  OtlpHttpExporter exporter({.endpoint = endpoint,
                             .timeout = 400ms,
                             .initial_backoff = 10ms,
                             .max_backoff = 40ms,
                             .max_attempts = 1000,
                             .report = reports.sink()});
  SpanBatchFixture batch(1);
  const auto start = Steady::now();
  EXPECT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 10s), ExportResult::kFailure);
  const auto elapsed = Steady::now() - start;
  EXPECT_GE(elapsed, 300ms);  // kept trying for most of the 400 ms timeout
  EXPECT_LT(elapsed, 1500ms);
  const auto stats = exporter.stats();
  EXPECT_GT(stats.retries, 2U);
  EXPECT_EQ(stats.spans_failed, 1U);
  EXPECT_NE(stats.last_error.find("cannot connect"), std::string::npos) << stats.last_error;
  const auto lines = reports.lines();
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_NE(lines[0].find(endpoint), std::string::npos) << lines[0];
}

TEST(OtlpDelivery, ReturnsByTheDeadlineWhenTheReceiverHangs) {
  HttpReceiver receiver;
  receiver.script({ScriptedResponse{.hang = true}});
  Reports reports;
  auto options = otlp_options_for(receiver, reports);
  options.timeout = 300ms;
  OtlpHttpExporter exporter(options);
  SpanBatchFixture batch(1);
  const auto start = Steady::now();
  EXPECT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 10s), ExportResult::kFailure);
  const auto elapsed = Steady::now() - start;
  EXPECT_GE(elapsed, 250ms);
  EXPECT_LT(elapsed, 1500ms);
  EXPECT_EQ(receiver.requests().size(), 1U);  // a timeout is not retried: the deadline is spent
  EXPECT_NE(exporter.stats().last_error.find("no response"), std::string::npos)
      << exporter.stats().last_error;
}

TEST(OtlpDelivery, ShutdownAbortsAnExportStuckOnAHangingReceiver) {
  HttpReceiver receiver;
  receiver.script({ScriptedResponse{.hang = true}});
  Reports reports;
  auto options = otlp_options_for(receiver, reports);
  options.timeout = 30s;
  OtlpHttpExporter exporter(options);
  SpanBatchFixture batch(1);
  std::thread stopper([&] {
    receiver.wait_for_requests(1, 10s);  // the export is now waiting for an answer
    exporter.shutdown(Steady::now() + 1s);
  });
  const auto start = Steady::now();
  EXPECT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 30s), ExportResult::kFailure);
  EXPECT_LT(Steady::now() - start, 3s);
  stopper.join();
  EXPECT_NE(exporter.stats().last_error.find("aborted"), std::string::npos)
      << exporter.stats().last_error;
  // After shutdown nothing more is sent.
  EXPECT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 5s), ExportResult::kFailure);
  EXPECT_EQ(receiver.requests().size(), 1U);
}

TEST(OtlpDelivery, ShutdownInterruptsTheWaitBeforeARetry) {
  HttpReceiver receiver;
  receiver.script({{503, "", {{"Retry-After", "20"}}}});
  Reports reports;
  auto options = otlp_options_for(receiver, reports);
  options.timeout = 30s;
  OtlpHttpExporter exporter(options);
  SpanBatchFixture batch(1);
  std::thread stopper([&] {
    receiver.wait_for_requests(1, 10s);  // the exporter now waits 20 s before retrying
    exporter.shutdown(Steady::now() + 1s);
  });
  const auto start = Steady::now();
  EXPECT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 30s), ExportResult::kFailure);
  EXPECT_LT(Steady::now() - start, 3s);
  stopper.join();
  EXPECT_EQ(receiver.requests().size(), 1U);
  EXPECT_NE(exporter.stats().last_error.find("aborted"), std::string::npos)
      << exporter.stats().last_error;
}

TEST(OtlpDelivery, ReportsAPartialSuccessOnceAndDoesNotRetryIt) {
  HttpReceiver receiver;
  // ExportTraceServiceResponse{partial_success{rejected_spans=1, error_message="bad attribute"}}
  std::string body = {0x0A, 0x11, 0x08, 0x01, 0x12, 0x0D};
  body += "bad attribute";
  const ScriptedResponse partial{200, body, {{"Content-Type", "application/x-protobuf"}}};
  receiver.script({partial, partial});
  Reports reports;
  OtlpHttpExporter exporter(otlp_options_for(receiver, reports));
  SpanBatchFixture batch(2);
  EXPECT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 5s), ExportResult::kSuccess);
  EXPECT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 5s), ExportResult::kSuccess);
  EXPECT_EQ(receiver.requests().size(), 2U);  // one request per export: not retried
  const auto lines = reports.lines();
  ASSERT_EQ(lines.size(), 1U);  // the same message is reported once
  EXPECT_NE(lines[0].find("rejected 1 of 2 spans: bad attribute"), std::string::npos) << lines[0];
  const auto stats = exporter.stats();
  EXPECT_EQ(stats.spans_exported, 2U);
  EXPECT_EQ(stats.spans_failed, 2U);
  EXPECT_EQ(stats.retries, 0U);
}

TEST(OtlpDelivery, ReadsAJsonPartialSuccessWhenSendingJson) {
  HttpReceiver receiver;
  receiver.script({{200,
                    R"({"partialSuccess":{"rejectedSpans":"3","errorMessage":"too old"}})",
                    {{"Content-Type", "application/json"}}}});
  Reports reports;
  auto options = otlp_options_for(receiver, reports);
  options.protocol = OtlpProtocol::kHttpJson;
  OtlpHttpExporter exporter(options);
  SpanBatchFixture batch(5);
  EXPECT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 5s), ExportResult::kSuccess);
  const auto lines = reports.lines();
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_NE(lines[0].find("rejected 3 of 5 spans: too old"), std::string::npos) << lines[0];
  EXPECT_EQ(exporter.stats().spans_exported, 2U);
  EXPECT_EQ(exporter.stats().spans_failed, 3U);
}

TEST(OtlpDelivery, RateLimitsFailureReports) {
  HttpReceiver receiver;
  receiver.script(std::vector<ScriptedResponse>(5, ScriptedResponse{400, ""}));
  Reports reports;
  auto options = otlp_options_for(receiver, reports);
  options.report_interval = std::chrono::hours(1);
  OtlpHttpExporter exporter(options);
  SpanBatchFixture batch(1);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 5s), ExportResult::kFailure);
  }
  EXPECT_EQ(reports.lines().size(), 1U);
  EXPECT_EQ(exporter.stats().spans_failed, 5U);
}

TEST(OtlpDelivery, ForkedChildExportsOverItsOwnConnection) {
  HttpReceiver receiver;
  Reports reports;
  OtlpHttpExporter exporter(otlp_options_for(receiver, reports));
  SpanBatchFixture batch(1);
  ASSERT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 5s), ExportResult::kSuccess);
  const ChildResult child = run_in_child([&] {
    return exporter.export_spans(batch.spans(), Steady::now() + 5s) == ExportResult::kSuccess ? 0
                                                                                              : 1;
  });
  EXPECT_EQ(child.exit_code, 0);
  // The parent's connection still works after the child used its own.
  EXPECT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 5s), ExportResult::kSuccess);
  const auto requests = receiver.wait_for_requests(3, 5s);
  ASSERT_EQ(requests.size(), 3U);
  // The child must not write on the connection it inherited (the parent's): it opened its own.
  EXPECT_NE(requests[1].connection, requests[0].connection);
  EXPECT_EQ(requests[2].connection, requests[0].connection);
}

}  // namespace
}  // namespace lumen::testing
