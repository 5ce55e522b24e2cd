// The OTLP span exporter's timing on a ManualClock over an InMemoryTransport: the wait before a
// retry and the export timeout are measured on the clock of its options, so these tests advance it
// and see each outcome at the exact moment, without sleeping or a collector.
#include "lumen/export/otlp_http_exporter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>

#include "lumen/export/in_memory_transport.hpp"
#include "otlp_test_fixtures.hpp"

namespace lumen::exporters {
namespace {

using namespace std::chrono_literals;

// Moves `clock` far enough, when the test ends, to wake a wait whose deadline was taken from
// another clock: a test that fails so does not hang while the export it started is joined.
class EndsEveryWaitAtExit {
 public:
  explicit EndsEveryWaitAtExit(ManualClock& clock) : clock_(clock) {}
  ~EndsEveryWaitAtExit() { clock_.advance(std::chrono::hours(24 * 365 * 10)); }
  EndsEveryWaitAtExit(const EndsEveryWaitAtExit&) = delete;
  EndsEveryWaitAtExit& operator=(const EndsEveryWaitAtExit&) = delete;

 private:
  ManualClock& clock_;
};

// The counts of stats() in one line, so that a test states them at once.
std::string counts(const OtlpHttpExporterStats& s) {
  return std::to_string(s.spans_exported) + " exported, " + std::to_string(s.spans_failed) +
         " failed, in " + std::to_string(s.requests) + " requests (" + std::to_string(s.retries) +
         " retried)";
}

TEST(OtlpHttpExporterOnAManualClock, RetriesA503ExactlyWhenItsRetryAfterHasPassed) {
  ManualClock clock;
  std::atomic<int> calls{0};
  auto transport = std::make_shared<InMemoryTransport>([&](const HttpRequest&) {
    return ++calls == 1 ? HttpExchange{.status = 503, .fields = {{"retry-after", "3"}}}
                        : HttpExchange{.status = 200};
  });
  OtlpHttpExporter exporter({.endpoint = "http://collector.invalid:4318/v1/traces",
                             .transport = transport,
                             .report = [](const std::string&) {},
                             .clock = &clock});
  lumen::testing::SpanBatchFixture batch(2);
  auto exported = std::async(std::launch::async,
                             [&] { return exporter.export_spans(batch.spans(), Deadline::max()); });
  EndsEveryWaitAtExit ends_waits(clock);
  ASSERT_TRUE(clock.await_waiters(1, 5s));  // the wait before the second attempt
  clock.advance(3s - 1ns);
  EXPECT_EQ(transport->requests().size(), 1u);
  EXPECT_EQ(exported.wait_for(0s), std::future_status::timeout);
  clock.advance(1ns);
  ASSERT_EQ(exported.wait_for(10s), std::future_status::ready);  // a safety, not a timing
  EXPECT_EQ(exported.get(), trace::ExportResult::kSuccess);
  EXPECT_EQ(counts(exporter.stats()), "2 exported, 0 failed, in 2 requests (1 retried)");
}

TEST(OtlpHttpExporterOnAManualClock, GivesUpExactlyAtTheTimeoutWhenTheReceiverHangs) {
  ManualClock clock;
  // A receiver that never answers: the attempt ends when its deadline comes, as libcurl's does.
  auto transport = std::make_shared<InMemoryTransport>([&](const HttpRequest& request) {
    clock.sleep_until(request.deadline);
    return HttpExchange{.error = TransportError::kTimedOut, .error_text = "no answer"};
  });
  OtlpHttpExporter exporter({.endpoint = "http://collector.invalid:4318/v1/traces",
                             .timeout = 2s,
                             .transport = transport,
                             .report = [](const std::string&) {},
                             .clock = &clock});
  lumen::testing::SpanBatchFixture batch(3);
  const Clock::TimePoint start = clock.now();
  auto exported = std::async(std::launch::async,
                             [&] { return exporter.export_spans(batch.spans(), Deadline::max()); });
  EndsEveryWaitAtExit ends_waits(clock);
  ASSERT_TRUE(clock.await_waiters(1, 5s));  // the receiver holds the first attempt
  clock.advance(2s - 1ns);
  EXPECT_EQ(exported.wait_for(0s), std::future_status::timeout);
  clock.advance(1ns);
  ASSERT_EQ(exported.wait_for(10s), std::future_status::ready);  // a safety, not a timing
  EXPECT_EQ(exported.get(), trace::ExportResult::kFailure);
  // A timed-out attempt is not retried.
  EXPECT_EQ(counts(exporter.stats()), "0 exported, 3 failed, in 1 requests (0 retried)");
  EXPECT_EQ(transport->requests().at(0).deadline, start + 2s);
  const std::string error = exporter.stats().last_error;
  EXPECT_NE(error.find("no response within the export timeout (2000 ms)"), std::string::npos)
      << error;
}

}  // namespace
}  // namespace lumen::exporters
