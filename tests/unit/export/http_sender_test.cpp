// Unit tests of the sender's pure rules, and of its wait between attempts on a ManualClock; its
// network behaviour is tested end to end in tests/integration/otlp_delivery_test.cpp.
#include "export/http_sender.hpp"

#include <gtest/gtest.h>

#include <future>

#include "core/id_generator.hpp"
#include "http_receiver.hpp"

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

}  // namespace
}  // namespace lumen::exporters::detail
