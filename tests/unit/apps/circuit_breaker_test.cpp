#include "circuit_breaker.hpp"

#include <gtest/gtest.h>

namespace beautifyai {
namespace {

using namespace std::chrono_literals;

BreakerOptions small(const lumen::Clock& clock) {
  return {.window = 10, .min_calls = 4, .failure_ratio = 0.5, .open_for = 1s, .clock = &clock};
}

TEST(CircuitBreaker, OpensWhenHalfTheWindowFailsAndRefusesWhileOpen) {
  lumen::ManualClock clock;
  CircuitBreaker breaker(small(clock));
  breaker.record(true);
  breaker.record(false);
  breaker.record(true);
  EXPECT_EQ(breaker.state(), BreakerState::kClosed);  // 3 calls: below min_calls
  breaker.record(false);                              // 2 of 4 failed
  EXPECT_EQ(breaker.state(), BreakerState::kOpen);
  EXPECT_FALSE(breaker.allow());
  EXPECT_FALSE(breaker.allow());
  EXPECT_EQ(breaker.stats().rejected, 2u);
  EXPECT_EQ(breaker.stats().opened, 1u);
}

TEST(CircuitBreaker, StaysClosedWhileFailuresAreRare) {
  lumen::ManualClock clock;
  CircuitBreaker breaker(small(clock));
  for (int i = 0; i < 100; ++i) breaker.record(i % 5 != 0);  // 20 % failures
  EXPECT_EQ(breaker.state(), BreakerState::kClosed);
  EXPECT_TRUE(breaker.allow());
}

TEST(CircuitBreaker, AfterThePauseOneProbeGoesThroughAndItsSuccessCloses) {
  lumen::ManualClock clock;
  CircuitBreaker breaker(small(clock));
  for (int i = 0; i < 4; ++i) breaker.record(false);
  clock.advance(999ms);
  EXPECT_FALSE(breaker.allow());
  clock.advance(1ms);
  EXPECT_TRUE(breaker.allow());  // the probe
  EXPECT_EQ(breaker.state(), BreakerState::kHalfOpen);
  EXPECT_FALSE(breaker.allow());  // only one
  clock.advance(250ms);
  breaker.record(true);
  EXPECT_EQ(breaker.state(), BreakerState::kClosed);
  EXPECT_TRUE(breaker.allow());
  EXPECT_DOUBLE_EQ(breaker.stats().last_recovery_ms, 1250.0);
}

TEST(CircuitBreaker, AFailedProbeOpensAgainAndTheRecoveryCoversTheWholeOutage) {
  lumen::ManualClock clock;
  CircuitBreaker breaker(small(clock));
  for (int i = 0; i < 4; ++i) breaker.record(false);
  clock.advance(1s);
  ASSERT_TRUE(breaker.allow());
  breaker.record(false);
  EXPECT_EQ(breaker.state(), BreakerState::kOpen);
  clock.advance(500ms);
  EXPECT_FALSE(breaker.allow());  // a new pause started at the failed probe
  clock.advance(500ms);
  ASSERT_TRUE(breaker.allow());
  breaker.record(true);
  EXPECT_EQ(breaker.state(), BreakerState::kClosed);
  EXPECT_DOUBLE_EQ(breaker.stats().last_recovery_ms, 2000.0);
  EXPECT_EQ(breaker.stats().opened, 1u);  // one outage
}

TEST(CircuitBreaker, AProbeReleasedWithoutAnOutcomeLetsTheNextProbeThrough) {
  lumen::ManualClock clock;
  CircuitBreaker breaker(small(clock));
  for (int i = 0; i < 4; ++i) breaker.record(false);
  clock.advance(1s);
  ASSERT_TRUE(breaker.allow());
  EXPECT_FALSE(breaker.allow());  // one probe at a time
  breaker.release();              // that probe's input was the caller's fault: no verdict
  EXPECT_EQ(breaker.state(), BreakerState::kHalfOpen);
  ASSERT_TRUE(breaker.allow());
  breaker.record(true);
  EXPECT_EQ(breaker.state(), BreakerState::kClosed);
}

TEST(CircuitBreaker, ReportsHalfOpenOnceThePauseHasPassedWithoutAnyCall) {
  lumen::ManualClock clock;
  CircuitBreaker breaker(small(clock));
  for (int i = 0; i < 4; ++i) breaker.record(false);
  clock.advance(999ms);
  EXPECT_EQ(breaker.state(), BreakerState::kOpen);
  clock.advance(10min);
  EXPECT_EQ(breaker.state(), BreakerState::kHalfOpen);
  EXPECT_EQ(breaker.stats().state, BreakerState::kHalfOpen);
  EXPECT_EQ(breaker.stats().rejected, 0u);  // reading it let nothing through and refused nothing
  ASSERT_TRUE(breaker.allow());             // the probe it promised
  EXPECT_FALSE(breaker.allow());
}

}  // namespace
}  // namespace beautifyai
