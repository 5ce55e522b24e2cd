// Unit tests of the sender's pure rules, and of its wait between attempts on a ManualClock; its
// network behaviour is tested end to end in tests/integration/otlp_delivery_test.cpp.
#include "export/http_sender.hpp"

#include <gtest/gtest.h>

#include <future>

#include "core/id_generator.hpp"
#include "http_receiver.hpp"
#include "lumen/export/in_memory_transport.hpp"

namespace lumen::exporters::detail {
namespace {

using std::chrono::milliseconds;

std::chrono::system_clock::time_point at(std::time_t t) {
  return std::chrono::system_clock::from_time_t(t);
}

TEST(RetryAfter, ParsesDeltaSeconds) {
  const auto now = std::chrono::system_clock::now();
  EXPECT_EQ(parse_retry_after("0", now), milliseconds(0));
  EXPECT_EQ(parse_retry_after("120", now), milliseconds(120'000));
  EXPECT_EQ(parse_retry_after("  5 ", now), milliseconds(5'000));
}

TEST(RetryAfter, CapsHugeDeltaSecondsInsteadOfOverflowing) {
  const auto delay = parse_retry_after("99999999999999999999999", std::chrono::system_clock::now());
  ASSERT_TRUE(delay.has_value());
  EXPECT_EQ(*delay, milliseconds(24LL * 3600 * 1000));
}

TEST(RetryAfter, ParsesAnHttpDateRelativeToNow) {
  // Wed, 21 Oct 2015 07:28:00 GMT is 1445412480 seconds after the epoch.
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", at(1445412480 - 30)),
            milliseconds(30'000));
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", at(1445412480 + 3600)),
            milliseconds(0));
}

// Found by fuzz/retry_after_fuzzer: the date went through a nanosecond time_point and overflowed
// (undefined behaviour; in practice a wrapped, arbitrary wait).
TEST(RetryAfter, CapsADateBeyondTheClocksRangeInsteadOfOverflowing) {
  const auto now = at(1767225600);  // 2026-01-01T00:00:00Z
  EXPECT_EQ(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now),
            milliseconds(24LL * 3600 * 1000));
  EXPECT_EQ(parse_retry_after("Thu, 01 Jan 2026 00:00:30 GMT", now), milliseconds(30'000));
  EXPECT_EQ(parse_retry_after("Sat, 01 Jan 1600 00:00:00 GMT", now), milliseconds(0));
}

TEST(RetryAfter, RejectsValuesThatAreNeitherSecondsNorADate) {
  const auto now = std::chrono::system_clock::now();
  EXPECT_FALSE(parse_retry_after("", now).has_value());
  EXPECT_FALSE(parse_retry_after("soon", now).has_value());
  EXPECT_FALSE(parse_retry_after("-5", now).has_value());
}

TEST(FullJitterBackoff, StaysWithinTheExponentialCap) {
  const milliseconds initial(100);
  const milliseconds max(1000);
  for (int i = 0; i < 2000; ++i) {
    const std::uint64_t r = IdGenerator::next_u64();
    EXPECT_LE(full_jitter_backoff(1, initial, max, r), milliseconds(100));
    EXPECT_LE(full_jitter_backoff(2, initial, max, r), milliseconds(200));
    EXPECT_LE(full_jitter_backoff(3, initial, max, r), milliseconds(400));
    EXPECT_LE(full_jitter_backoff(10, initial, max, r), milliseconds(1000));
    EXPECT_LE(full_jitter_backoff(1000, initial, max, r), milliseconds(1000));
  }
  // The cap itself is reachable and the growth saturates at max.
  EXPECT_EQ(full_jitter_backoff(3, initial, max, 400), milliseconds(400));
  EXPECT_EQ(full_jitter_backoff(4, initial, max, 800), milliseconds(800));
  EXPECT_EQ(full_jitter_backoff(5, initial, max, 1000), milliseconds(1000));
  EXPECT_EQ(full_jitter_backoff(5, initial, max, 1001), milliseconds(0));
}

TEST(FullJitterBackoff, SpreadsDelaysOverTheWholeRange) {
  const milliseconds cap(1000);
  int low = 0;
  int high = 0;
  for (int i = 0; i < 1000; ++i) {
    const auto d = full_jitter_backoff(1, cap, cap, IdGenerator::next_u64());
    if (d < milliseconds(250)) ++low;
    if (d > milliseconds(750)) ++high;
  }
  // Uniform: about 250 each; far from 0 unless the jitter is broken.
  EXPECT_GT(low, 150);
  EXPECT_GT(high, 150);
}

TEST(FullJitterBackoff, IsZeroWhenBackoffIsDisabled) {
  EXPECT_EQ(full_jitter_backoff(3, milliseconds(0), milliseconds(0), 12345), milliseconds(0));
}

TEST(HttpSender, StartsTheNextAttemptExactlyWhenRetryAfterHasPassedOnItsClock) {
  using namespace std::chrono_literals;
  lumen::testing::HttpReceiver receiver;
  receiver.script({{429, "", {{"Retry-After", "3"}}}, {200, ""}});
  ManualClock clock;
  HttpSender sender({.url = receiver.url("/v1/traces"),
                     .content_type = "application/x-protobuf",
                     .clock = &clock});
  auto sent =
      std::async(std::launch::async, [&] { return sender.send("spans", clock.now() + 10s); });
  ASSERT_TRUE(clock.await_waiters(1));  // the wait before the second attempt
  clock.advance(3s - 1ns);
  EXPECT_EQ(receiver.requests().size(), 1u);
  EXPECT_EQ(sent.wait_for(0s), std::future_status::timeout);
  clock.advance(1ns);
  const HttpSendResult result = sent.get();
  EXPECT_TRUE(result.delivered) << result.error;
  EXPECT_EQ(result.attempts, 2);
  EXPECT_EQ(receiver.requests().size(), 2u);
}

TEST(HttpSender, DoesNotWaitForARetryAfterThatEndsPastTheDeadline) {
  using namespace std::chrono_literals;
  lumen::testing::HttpReceiver receiver;
  receiver.script({{503, "", {{"Retry-After", "10"}}}});
  ManualClock clock;
  HttpSender sender({.url = receiver.url("/v1/traces"),
                     .content_type = "application/x-protobuf",
                     .clock = &clock});
  // The clock never moves: a wait would never end.
  const HttpSendResult result = sender.send("spans", clock.now() + 10s);
  EXPECT_FALSE(result.delivered);
  EXPECT_EQ(result.attempts, 1);
  EXPECT_NE(result.error.find("no time left for another attempt"), std::string::npos)
      << result.error;
}

// The same rules over an InMemoryTransport: every attempt is seen as sent, without a server.

TEST(HttpSenderInMemory, WaitsExactlyTheRetryAfterOnItsClockBeforeTheNextAttempt) {
  using namespace std::chrono_literals;
  std::atomic<int> calls{0};
  auto transport = std::make_shared<InMemoryTransport>([&](const HttpRequest&) {
    return ++calls == 1 ? HttpExchange{.status = 429, .fields = {{"retry-after", "3"}}}
                        : HttpExchange{.status = 200};
  });
  ManualClock clock;
  HttpSender sender({.url = "http://collector.invalid:4318/v1/traces",
                     .content_type = "application/x-protobuf",
                     .clock = &clock,
                     .transport = transport});
  const Deadline deadline = clock.now() + 10s;
  auto sent = std::async(std::launch::async, [&] { return sender.send("spans", deadline); });
  ASSERT_TRUE(clock.await_waiters(1));  // the wait before the second attempt
  clock.advance(3s - 1ns);
  EXPECT_EQ(transport->requests().size(), 1u);
  clock.advance(1ns);
  const HttpSendResult result = sent.get();
  EXPECT_TRUE(result.delivered) << result.error;
  EXPECT_EQ(result.attempts, 2);
  const auto requests = transport->requests();
  ASSERT_EQ(requests.size(), 2u);
  for (const auto& r : requests) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.url, "http://collector.invalid:4318/v1/traces");
    EXPECT_EQ(r.body, "spans");
    EXPECT_EQ(r.deadline, deadline);  // each attempt is bounded by what is left of the send's
  }
}

TEST(HttpSenderInMemory, SendsItsHeadersAndTheGzippedBodyAndRetriesOnlyWhatMayBeRetried) {
  auto transport = std::make_shared<InMemoryTransport>(
      [](const HttpRequest&) { return HttpExchange{.status = 400, .body = "no"}; });
  HttpSender sender({.url = "http://collector.invalid/v1/logs",
                     .content_type = "application/json",
                     .headers = {{"api-key", "k"}},
                     .gzip = true,
                     .initial_backoff = milliseconds(0),
                     .max_attempts = 3,
                     .transport = transport});
  const HttpSendResult rejected = sender.send(
      std::string(1000, 'a'), std::chrono::steady_clock::now() + std::chrono::seconds(5));
  EXPECT_FALSE(rejected.delivered);
  EXPECT_EQ(rejected.attempts, 1);  // a 400 is final
  EXPECT_EQ(rejected.status, 400);
  EXPECT_EQ(rejected.response_body, "no");
  const auto requests = transport->requests();
  ASSERT_EQ(requests.size(), 1u);
  const HttpHeaders expected = {
      {"Content-Type", "application/json"}, {"Content-Encoding", "gzip"}, {"api-key", "k"}};
  EXPECT_EQ(requests[0].headers, expected);
  ASSERT_GE(requests[0].body.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(requests[0].body[0]), 0x1f);  // the gzip magic
  EXPECT_EQ(static_cast<unsigned char>(requests[0].body[1]), 0x8b);
  EXPECT_LT(requests[0].body.size(), 100u);

  auto unavailable = std::make_shared<InMemoryTransport>(
      [](const HttpRequest&) { return HttpExchange{.status = 503}; });
  HttpSender retrying({.url = "http://collector.invalid/v1/logs",
                       .initial_backoff = milliseconds(0),
                       .max_attempts = 3,
                       .transport = unavailable});
  const HttpSendResult gave_up =
      retrying.send("x", std::chrono::steady_clock::now() + std::chrono::seconds(5));
  EXPECT_EQ(gave_up.attempts, 3);
  EXPECT_EQ(unavailable->requests().size(), 3u);
  EXPECT_NE(gave_up.error.find("gave up after 3 attempts: HTTP 503"), std::string::npos)
      << gave_up.error;
}

TEST(HttpSenderInMemory, RetriesWhenTheConnectionFailsButNotWhenTheAttemptTimedOut) {
  std::atomic<int> calls{0};
  auto transport = std::make_shared<InMemoryTransport>([&](const HttpRequest&) {
    if (++calls == 1) {
      return HttpExchange{.error = TransportError::kCannotConnect, .error_text = "refused"};
    }
    return HttpExchange{.error = TransportError::kTimedOut, .error_text = "slow"};
  });
  HttpSender sender({.url = "http://collector.invalid/v1/metrics",
                     .initial_backoff = milliseconds(0),
                     .transport = transport});
  const HttpSendResult result =
      sender.send("m", std::chrono::steady_clock::now() + std::chrono::seconds(5));
  EXPECT_FALSE(result.delivered);
  EXPECT_EQ(result.attempts, 2);
  EXPECT_NE(result.error.find("no response within the export timeout"), std::string::npos)
      << result.error;
  EXPECT_NE(result.error.find("before that: cannot connect: refused"), std::string::npos)
      << result.error;
}

TEST(HttpSenderInMemory, AbortAbortsTheTransportSoLaterSendsFailAtOnce) {
  auto transport = std::make_shared<InMemoryTransport>();
  HttpSender sender({.url = "http://collector.invalid/v1/traces", .transport = transport});
  EXPECT_TRUE(
      sender.send("a", std::chrono::steady_clock::now() + std::chrono::seconds(5)).delivered);
  sender.abort();
  EXPECT_EQ(transport->perform({.url = "http://collector.invalid/"}).error,
            TransportError::kAborted);
  EXPECT_FALSE(
      sender.send("b", std::chrono::steady_clock::now() + std::chrono::seconds(5)).delivered);
  EXPECT_EQ(transport->requests().size(), 1u);
}

// The examples at the top of lumen/export/http_transport.hpp and in_memory_transport.hpp.
class Refusing final : public lumen::exporters::HttpTransport {
 public:
  lumen::exporters::HttpExchange perform(const lumen::exporters::HttpRequest&) override {
    return {.status = 503};
  }
  void abort() noexcept override {}
};

TEST(HttpTransport, TheHeaderExamplesWork) {
  Refusing refusing;
  EXPECT_EQ(refusing.perform({}).status, 503);
  auto transport = std::make_shared<lumen::exporters::InMemoryTransport>(
      [](const lumen::exporters::HttpRequest& request) {
        return lumen::exporters::HttpExchange{.status = request.body.empty() ? 400 : 200};
      });
  EXPECT_EQ(transport->perform({.body = "x"}).status, 200);
  EXPECT_EQ(transport->perform({.method = "GET"}).status, 400);
  const auto requests = transport->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].body, "x");
  EXPECT_EQ(requests[1].method, "GET");
}

}  // namespace
}  // namespace lumen::exporters::detail
