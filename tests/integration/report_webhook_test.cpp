// The alert webhook against a real HTTP server on 127.0.0.1: retries with backoff until delivered,
// gives up and counts, and never blocks the caller.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "http_client.hpp"
#include "http_receiver.hpp"
#include "lumen/report/webhook.hpp"

namespace lumen::report {
namespace {

using std::chrono::milliseconds;

TEST(ReportWebhook, RetriesServerErrorsUntilDelivered) {
  testing::HttpReceiver receiver;
  receiver.script({{503, ""}, {500, ""}, {200, ""}});
  WebhookNotifier hook({.url = receiver.url("/alerts"), .initial_backoff = milliseconds(10)});
  ASSERT_TRUE(hook.post(R"({"alert":"error_rate_high","state":"firing"})"));
  const auto requests = receiver.wait_for_requests(3, std::chrono::seconds(5));
  ASSERT_EQ(requests.size(), 3U);
  for (const auto& r : requests) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.path, "/alerts");
    EXPECT_EQ(r.headers.at("content-type"), "application/json");
    EXPECT_EQ(r.body, R"({"alert":"error_rate_high","state":"firing"})");
  }
  ASSERT_TRUE(hook.flush(std::chrono::seconds(5)));
  const WebhookStats s = hook.stats();
  EXPECT_EQ(s.delivered, 1U);
  EXPECT_EQ(s.retries, 2U);
  EXPECT_EQ(s.failed, 0U);
}

TEST(ReportWebhook, ClientErrorsAreNotRetried) {
  testing::HttpReceiver receiver;
  receiver.script({{400, ""}});
  WebhookNotifier hook({.url = receiver.url("/alerts"), .initial_backoff = milliseconds(10)});
  hook.post("{}");
  ASSERT_TRUE(hook.flush(std::chrono::seconds(5)));
  EXPECT_EQ(hook.stats().failed, 1U);
  EXPECT_EQ(receiver.requests().size(), 1U);
}

TEST(ReportWebhook, UnreachableReceiverNeverBlocksAndOverflowIsCounted) {
  const std::uint16_t port = testing::free_loopback_port();  // nothing listens there
  WebhookNotifier hook({.url = "http://127.0.0.1:" + std::to_string(port) + "/alerts",
                        .queue_capacity = 4,
                        .max_attempts = 3,
                        .initial_backoff = milliseconds(20),
                        .shutdown_timeout = milliseconds(200)});
  const auto start = std::chrono::steady_clock::now();
  int accepted = 0;
  for (int i = 0; i < 50; ++i) accepted += hook.post("{\"n\":" + std::to_string(i) + "}") ? 1 : 0;
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(100));
  EXPECT_LE(accepted, 5);  // the queue, plus the one the worker took
  EXPECT_GE(hook.stats().dropped, 45U);
  // The one in flight gives up after its attempts.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (hook.stats().failed == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_GE(hook.stats().failed, 1U);
  EXPECT_GE(hook.stats().retries, 2U);
}

TEST(ReportWebhook, WithoutAUrlEverythingIsDropped) {
  WebhookNotifier hook({});
  EXPECT_FALSE(hook.post("{}"));
  EXPECT_EQ(hook.stats().dropped, 1U);
  EXPECT_TRUE(hook.flush(milliseconds(10)));
}

}  // namespace
}  // namespace lumen::report
