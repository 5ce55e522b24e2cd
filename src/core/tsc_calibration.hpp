// The arithmetic of the TSC clock, apart from any real counter or clock so that tests hand it
// chosen readings: a paired read of the counter and a reference clock, the tick rate between two
// of them, and the line that follows the reference after a re-calibration without ever stepping
// back. tsc_clock.cpp feeds it real reads.
//
//   TscSample a = tightest_sample(first_brackets), b = tightest_sample(later_brackets);
//   TscLine line = first_tsc_line(a, b);
//   line = next_tsc_line(line, {.reference = c, .rate_q32 = tsc_rate_q32(a, c), ...}).line;
#pragma once

#include <cstdint>
#include <span>

#include "lumen/core/internal/tsc_clock.hpp"

namespace lumen::detail {

// One attempt at a paired read: the counter before and after a read of the reference clock.
struct TscBracket {
  std::uint64_t tick_before = 0;
  std::uint64_t ns = 0;
  std::uint64_t tick_after = 0;
};

// A reference time and the counter at that moment, known to +- half of `width_ticks`.
struct TscSample {
  std::uint64_t tick = 0;
  std::uint64_t ns = 0;
  std::uint64_t width_ticks = 0;
};

// The attempt with the narrowest bracket (the one least disturbed by an interrupt or a
// preemption), its tick taken at the bracket's middle. `brackets` must not be empty.
[[nodiscard]] TscSample tightest_sample(std::span<const TscBracket> brackets) noexcept;

// Nanoseconds per tick between two samples, in 32.32 fixed point; 0 if `newer` is not later
// than `older` on both clocks.
[[nodiscard]] std::uint64_t tsc_rate_q32(const TscSample& older, const TscSample& newer) noexcept;

// The first line, through `newer` at the rate from `older`. It starts a bracket's width (in
// nanoseconds) ahead of the reference, so that it is not behind a reference read made just
// before it was published: the next re-calibration slews that back.
[[nodiscard]] TscLine first_tsc_line(const TscSample& older, const TscSample& newer) noexcept;

struct TscRecalibration {
  TscSample reference;          // the reference read just now
  std::uint64_t rate_q32 = 0;   // the reference's rate, measured over a long baseline
  std::uint64_t horizon_ticks;  // until the next re-calibration: the error is gone by then
  // Longest time, in ticks, between the reference read and the end of the publication: readers
  // may use the old line that long.
  std::uint64_t publish_ticks;
  std::uint32_t max_slew_ppm;  // bound on the correction added to the rate, in parts per million
};

struct TscCorrection {
  TscLine line;
  // The reference minus the current line at the reference's tick: the error being corrected.
  std::int64_t error_ns = 0;
};

// The line to publish after a re-calibration. Its slope is the measured rate plus a correction
// (bounded by max_slew_ppm) that meets the reference after horizon_ticks. It meets the current
// line at a pivot, chosen so that a reader of the old line (up to reference.tick + publish_ticks)
// never sees a later time than a reader of the new one (from reference.tick on) at a later tick:
// at the reference's tick when the slope grows, at the end of the publication window when it
// shrinks.
[[nodiscard]] TscCorrection next_tsc_line(const TscLine& current,
                                          const TscRecalibration& r) noexcept;

}  // namespace lumen::detail
