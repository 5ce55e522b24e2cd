// The TSC clock's arithmetic, fed chosen readings: no real counter and no real time.
#include "core/tsc_calibration.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

namespace lumen::detail {
namespace {

constexpr std::uint64_t kQ32 = 1ULL << 32;
constexpr std::uint64_t kSecond = 1'000'000'000;

TEST(TscLine, ConvertsTicksOnBothSidesOfItsBase) {
  const TscLine line{.base_tick = 1'000'000, .base_ns = 5'000'000, .ns_per_tick_q32 = kQ32 / 2};
  EXPECT_EQ(tsc_line_ns(line, 1'000'000), 5'000'000u);
  EXPECT_EQ(tsc_line_ns(line, 1'000'200), 5'000'100u);
  EXPECT_EQ(tsc_line_ns(line, 999'800), 4'999'900u);
  // Nondecreasing through the base, tick by tick, with a slope that does not divide evenly.
  const TscLine odd{.base_tick = 1'000, .base_ns = 1'000'000, .ns_per_tick_q32 = kQ32 / 3};
  std::uint64_t last = 0;
  for (std::uint64_t tick = 0; tick < 2'000; ++tick) {
    const std::uint64_t ns = tsc_line_ns(odd, tick);
    ASSERT_GE(ns, last) << tick;
    last = ns;
  }
}

TEST(TscCalibration, KeepsTheNarrowestBracketTakenAtItsMiddle) {
  const std::vector<TscBracket> attempts = {{.tick_before = 100, .ns = 7, .tick_after = 180},
                                            {.tick_before = 300, .ns = 9, .tick_after = 320},
                                            {.tick_before = 500, .ns = 11, .tick_after = 900}};
  const TscSample s = tightest_sample(attempts);
  EXPECT_EQ(s.tick, 310u);
  EXPECT_EQ(s.ns, 9u);
  EXPECT_EQ(s.width_ticks, 20u);
}

TEST(TscCalibration, MeasuresNanosecondsPerTickBetweenTwoSamples) {
  // A 3 GHz counter over ten minutes: a third of a nanosecond per tick.
  const TscSample older{.tick = 12'345, .ns = 1'000};
  const TscSample newer{.tick = 12'345 + 3 * 600 * kSecond, .ns = 1'000 + 600 * kSecond};
  const std::uint64_t rate = tsc_rate_q32(older, newer);
  EXPECT_NEAR(static_cast<double>(rate), static_cast<double>(kQ32) / 3, 1.0);
  // A second later on that line, within the slope's rounding (under a nanosecond per second at
  // up to 4 GHz; a re-calibration each second keeps it from adding up).
  const TscLine line{.base_tick = newer.tick, .base_ns = newer.ns, .ns_per_tick_q32 = rate};
  const std::uint64_t later = tsc_line_ns(line, newer.tick + 3 * kSecond);
  EXPECT_LE(std::llabs(static_cast<long long>(later - (newer.ns + kSecond))), 1);
}

TEST(TscCalibration, HasNoRateWhenTheSamplesDoNotMoveForward) {
  EXPECT_EQ(tsc_rate_q32({.tick = 10, .ns = 10}, {.tick = 10, .ns = 20}), 0u);
  EXPECT_EQ(tsc_rate_q32({.tick = 10, .ns = 10}, {.tick = 20, .ns = 10}), 0u);
  EXPECT_EQ(tsc_rate_q32({.tick = 20, .ns = 10}, {.tick = 10, .ns = 20}), 0u);
}

TEST(TscCalibration, FirstLineStartsABracketAheadOfTheReference) {
  const TscSample older{.tick = 0, .ns = 0, .width_ticks = 10};
  const TscSample newer{.tick = 20'000'000, .ns = 10'000'000, .width_ticks = 60};
  const TscLine line = first_tsc_line(older, newer);
  EXPECT_EQ(line.base_tick, newer.tick);
  EXPECT_EQ(line.base_ns, newer.ns + 30);  // 60 ticks at 0.5 ns each
  EXPECT_EQ(line.ns_per_tick_q32, kQ32 / 2);
}

TscRecalibration at(TscSample reference, std::uint64_t rate_q32) {
  return {.reference = reference,
          .rate_q32 = rate_q32,
          .horizon_ticks = 2 * kSecond,
          .publish_ticks = 200'000,
          .max_slew_ppm = 500};
}

TEST(TscCalibration, SlewsAnErrorAwayByTheHorizon) {
  const TscLine current{.base_tick = 0, .base_ns = 0, .ns_per_tick_q32 = kQ32 / 2};
  // One second later (2e9 ticks) the reference is 300 ns ahead of the line.
  const TscSample reference{.tick = 2 * kSecond, .ns = kSecond + 300};
  const TscCorrection c = next_tsc_line(current, at(reference, kQ32 / 2));
  EXPECT_EQ(c.error_ns, 300);
  // Continuous where it takes over, and on the reference's line one horizon later.
  EXPECT_EQ(c.line.base_tick, reference.tick);
  EXPECT_EQ(c.line.base_ns, kSecond + 1);  // a nanosecond ahead, for rounding
  const std::uint64_t then = tsc_line_ns(c.line, reference.tick + 2 * kSecond);
  EXPECT_LE(std::llabs(static_cast<long long>(then - (reference.ns + kSecond))), 2);
}

TEST(TscCalibration, BoundsTheCorrectionBySlewLimit) {
  const TscLine current{.base_tick = 0, .base_ns = 0, .ns_per_tick_q32 = kQ32 / 2};
  for (const std::int64_t error : {-900'000, 900'000}) {
    const TscSample reference{
        .tick = 2 * kSecond,
        .ns = static_cast<std::uint64_t>(static_cast<std::int64_t>(kSecond) + error)};
    const TscCorrection c = next_tsc_line(current, at(reference, kQ32 / 2));
    const double ppm = (static_cast<double>(c.line.ns_per_tick_q32) / (kQ32 / 2) - 1) * 1e6;
    EXPECT_NEAR(ppm, error > 0 ? 500 : -500, 0.01) << error;
  }
}

// A reader still on the old line (up to the end of the publication window) never sees a later
// time than a reader of the new line (from the reference's tick) at a later tick.
void expect_never_backwards(const TscLine& old_line, const TscCorrection& c,
                            const TscRecalibration& r) {
  const std::uint64_t now = r.reference.tick;
  for (std::uint64_t t1 = now - 1'000; t1 <= now + r.publish_ticks; t1 += 997) {
    for (std::uint64_t t2 = std::max(t1, now); t2 <= now + 2 * r.publish_ticks; t2 += 1'009)
      ASSERT_LE(tsc_line_ns(old_line, t1), tsc_line_ns(c.line, t2)) << t1 << ' ' << t2;
  }
}

TEST(TscCalibration, NeverGoesBackwardsWhenTheSlopeShrinks) {
  const TscLine current{.base_tick = 0, .base_ns = 0, .ns_per_tick_q32 = kQ32 / 2};
  const TscRecalibration r = at({.tick = 2 * kSecond, .ns = kSecond - 400}, kQ32 / 2);
  const TscCorrection c = next_tsc_line(current, r);
  ASSERT_LT(c.line.ns_per_tick_q32, current.ns_per_tick_q32);
  EXPECT_EQ(c.line.base_tick, r.reference.tick + r.publish_ticks);  // pivot after the window
  expect_never_backwards(current, c, r);
}

TEST(TscCalibration, NeverGoesBackwardsWhenTheSlopeGrows) {
  const TscLine current{.base_tick = 0, .base_ns = 0, .ns_per_tick_q32 = kQ32 / 2};
  const TscRecalibration r = at({.tick = 2 * kSecond, .ns = kSecond + 400}, kQ32 / 2);
  const TscCorrection c = next_tsc_line(current, r);
  ASSERT_GT(c.line.ns_per_tick_q32, current.ns_per_tick_q32);
  EXPECT_EQ(c.line.base_tick, r.reference.tick);
  expect_never_backwards(current, c, r);
}

// Ten simulated minutes of the schedule tsc_clock.cpp runs (a re-calibration a second, the rate
// over the last 16 samples), against a reference whose frequency moves by half a ppm at once (NTP
// moves it more gently) and whose reads are off by up to 40 ns: the line stays within 1 us of the
// reference and never goes backwards.
TEST(TscCalibration, FollowsADriftingReferenceWithinAMicrosecondForTenMinutes) {
  constexpr double kTicksPerNs = 2.096014;  // this machine's counter
  double ref_ns = 1e12, tick = 5e11;
  double ns_per_tick = 1 / kTicksPerNs;
  std::uint32_t noise = 12345;
  auto jitter = [&noise] {  // deterministic, in [-20, 20] ns
    noise = noise * 1'103'515'245U + 12'345U;
    return static_cast<double>((noise >> 16) % 41) - 20;
  };
  auto reference = [&] {
    return TscSample{.tick = static_cast<std::uint64_t>(tick),
                     .ns = static_cast<std::uint64_t>(ref_ns + jitter())};
  };
  auto advance = [&](double ns) {
    ref_ns += ns;
    tick += ns / ns_per_tick;
  };
  std::vector<TscSample> history = {reference()};
  advance(10e6);  // the warm-up
  TscLine line = first_tsc_line(history.front(), reference());
  history.push_back(reference());
  double worst = 0;
  std::uint64_t last = 0;
  for (int second = 1; second <= 600; ++second) {
    if (second == 300) ns_per_tick *= 1 + 0.5e-6;
    for (int step = 0; step < 100; ++step) {  // read every 10 ms between re-calibrations
      advance(10e6);
      const std::uint64_t ns = tsc_line_ns(line, static_cast<std::uint64_t>(tick));
      ASSERT_GE(ns, last);
      last = ns;
      if (second > 1) worst = std::max(worst, std::abs(static_cast<double>(ns) - ref_ns));
    }
    const TscSample now = reference();
    const TscSample& oldest = history.size() < 16 ? history.front() : history[history.size() - 16];
    const std::uint64_t rate = tsc_rate_q32(oldest, now);
    const TscCorrection c =
        next_tsc_line(line, {.reference = now,
                             .rate_q32 = rate,
                             .horizon_ticks = static_cast<std::uint64_t>(kSecond * kTicksPerNs),
                             .publish_ticks = 200'000,
                             .max_slew_ppm = 500});
    ASSERT_LT(std::llabs(c.error_ns), 1'000) << second;
    line = c.line;
    history.push_back(now);
  }
  EXPECT_LT(worst, 1'000);
}

}  // namespace
}  // namespace lumen::detail
