// The OTLP log exporter over an InMemoryTransport: what it sends, how it counts retries, and when
// it retries and gives up on the ManualClock of its options, without a collector
// (tests/integration/otlp_logs_export_test.cpp runs it against real ones).
#include "lumen/export/otlp_log_exporter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "lumen/export/in_memory_transport.hpp"

namespace lumen::exporters {
namespace {

using namespace std::chrono_literals;

TEST(OtlpHttpLogExporterInMemory, PostsTheRecordsAsOtlpJsonAndCountsTheRetryOfA503) {
  std::atomic<int> calls{0};
  auto transport = std::make_shared<InMemoryTransport>([&](const HttpRequest&) {
    return ++calls == 1 ? HttpExchange{.status = 503} : HttpExchange{.status = 200, .body = "{}"};
  });
  OtlpHttpLogExporter exporter({.endpoint = "http://collector.invalid:4318/v1/logs",
                                .protocol = OtlpProtocol::kHttpJson,
                                .transport = transport,
                                .initial_backoff = 0ms,
                                .report = [](const std::string&) {}});
  std::vector<log::LogRecordData> records(2);
  records[0].body = "first";
  records[1].body = "second";
  records[1].level = log::Level::kError;
  const log::LogBatch batch{.records = records, .scope_name = "test"};
  EXPECT_EQ(exporter.export_logs(batch, std::chrono::steady_clock::now() + 5s),
            log::LogExportResult::kSuccess);
  const OtlpHttpLogExporterStats stats = exporter.stats();
  EXPECT_EQ(stats.records_exported, 2u);
  EXPECT_EQ(stats.requests, 2u);
  EXPECT_EQ(stats.retries, 1u);
  const auto requests = transport->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].method, "POST");
  EXPECT_EQ(requests[1].url, "http://collector.invalid:4318/v1/logs");
  EXPECT_EQ(requests[0].body, requests[1].body);
  const nlohmann::json sent = nlohmann::json::parse(requests[1].body);
  const auto& logs = sent.at("resourceLogs").at(0).at("scopeLogs").at(0).at("logRecords");
  ASSERT_EQ(logs.size(), 2u);
  EXPECT_EQ(logs.at(0).at("body").at("stringValue"), "first");
  EXPECT_EQ(logs.at(1).at("body").at("stringValue"), "second");
  EXPECT_EQ(logs.at(1).at("severityNumber"), log::severity_number(log::Level::kError));
}

TEST(OtlpHttpLogExporterOnAManualClock,
     RetriesAtEachRetryAfterAndGivesUpWhenTheNextEndsPastTheTimeout) {
  ManualClock clock;
  auto transport = std::make_shared<InMemoryTransport>([](const HttpRequest&) {
    return HttpExchange{.status = 429, .fields = {{"retry-after", "1"}}};
  });
  OtlpHttpLogExporter exporter({.endpoint = "http://collector.invalid:4318/v1/logs",
                                .timeout = 2500ms,
                                .transport = transport,
                                .max_attempts = 10,
                                .report = [](const std::string&) {},
                                .clock = &clock});
  std::vector<log::LogRecordData> records(1);
  const log::LogBatch batch{.records = records, .scope_name = "test"};
  const Clock::TimePoint start = clock.now();
  auto exported =
      std::async(std::launch::async, [&] { return exporter.export_logs(batch, Deadline::max()); });
  for (std::size_t attempt = 1; attempt <= 2; ++attempt) {
    ASSERT_TRUE(clock.await_waiters(1, 5s)) << "no wait after attempt " << attempt;
    clock.advance(1s - 1ns);
    EXPECT_EQ(transport->requests().size(), attempt);
    clock.advance(1ns);
  }
  // The third answer asks for a wait to 3 s, past the timeout at 2.5 s: no wait, no fourth attempt.
  ASSERT_EQ(exported.wait_for(10s), std::future_status::ready);  // a safety, not a timing
  EXPECT_EQ(exported.get(), log::LogExportResult::kFailure);
  std::vector<Deadline> deadlines;
  for (const auto& request : transport->requests()) deadlines.push_back(request.deadline);
  EXPECT_EQ(deadlines, std::vector<Deadline>(3, start + 2500ms));
  const OtlpHttpLogExporterStats stats = exporter.stats();
  EXPECT_EQ(stats.records_failed, 1u);
  EXPECT_NE(stats.last_error.find("no time left for another attempt before the deadline (3 "
                                  "attempts)"),
            std::string::npos)
      << stats.last_error;
}

}  // namespace
}  // namespace lumen::exporters
