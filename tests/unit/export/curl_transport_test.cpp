// The libcurl transport's connection pool against a real loopback server, which numbers the
// connections it accepts: reuse, the cap on idle connections and their expiry on a ManualClock,
// and the pool options reaching an exporter through the public factory.
#include "lumen/export/curl_transport.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "http_receiver.hpp"
#include "lumen/export/otlp_http_exporter.hpp"
#include "otlp_test_fixtures.hpp"

namespace lumen::exporters {
namespace {

using namespace std::chrono_literals;

class CurlTransportPool : public ::testing::Test {
 protected:
  // Sends one GET and returns the number of the server's connection that carried it.
  std::uint64_t get(HttpTransport& transport) {
    const HttpExchange answer = transport.perform(
        {.method = "GET", .url = receiver_.url("/ping"), .deadline = clock_.now() + 10s});
    EXPECT_EQ(answer.status, 200) << answer.error_text;
    const auto requests = receiver_.wait_for_requests(++sent_, 10s);
    return requests.size() == sent_ ? requests.back().connection : 0;
  }

  lumen::testing::HttpReceiver receiver_;
  ManualClock clock_;
  std::size_t sent_ = 0;
};

TEST_F(CurlTransportPool, ReusesAnIdleConnection) {
  const auto transport = make_curl_transport({.clock = &clock_});
  EXPECT_EQ(get(*transport), 1u);
  clock_.advance(30s);
  EXPECT_EQ(get(*transport), 1u);
}

TEST_F(CurlTransportPool, ClosesAConnectionGivenBackBeyondTheCap) {
  const auto transport = make_curl_transport({.clock = &clock_, .max_idle_connections = 0});
  EXPECT_EQ(get(*transport), 1u);
  EXPECT_EQ(get(*transport), 2u);
}

TEST_F(CurlTransportPool, ClosesAConnectionIdleLongerThanTheIdleTimeout) {
  const auto transport = make_curl_transport({.clock = &clock_, .idle_timeout = 5s});
  EXPECT_EQ(get(*transport), 1u);
  clock_.advance(5s);
  EXPECT_EQ(get(*transport), 1u);  // idle exactly the timeout: still reused
  clock_.advance(5s + 1ms);
  EXPECT_EQ(get(*transport), 2u);
  EXPECT_EQ(get(*transport), 2u);  // the new one is pooled in turn
}

// The header's example, pointed at the test receiver: two exports through a transport that keeps no
// idle connection open two connections; through one that keeps them, the second reuses the first.
TEST_F(CurlTransportPool, AnExporterSendsThroughTheTransportWithThePoolOptionsGiven) {
  lumen::testing::SpanBatchFixture batch(1);
  const auto connections_of_two_exports = [&](std::shared_ptr<HttpTransport> transport) {
    OtlpHttpExporter exporter({.endpoint = receiver_.url("/v1/traces"), .transport = transport});
    std::vector<std::uint64_t> connections;
    for (int i = 0; i < 2; ++i) {
      EXPECT_EQ(exporter.export_spans(batch.spans(), std::chrono::steady_clock::now() + 10s),
                trace::ExportResult::kSuccess);
      const auto requests = receiver_.wait_for_requests(++sent_, 10s);
      connections.push_back(requests.size() == sent_ ? requests.back().connection : 0);
    }
    return connections;
  };
  const auto none_idle =
      connections_of_two_exports(make_curl_transport({.max_idle_connections = 0}));
  EXPECT_EQ(none_idle, (std::vector<std::uint64_t>{1, 2}));
  const auto pooled = connections_of_two_exports(lumen::exporters::make_curl_transport(
      {.max_idle_connections = 2, .idle_timeout = std::chrono::seconds(30)}));
  EXPECT_EQ(pooled, (std::vector<std::uint64_t>{3, 3}));
}

}  // namespace
}  // namespace lumen::exporters
