// The longest delay or timeout the perf tools accept: a year. Longer options are clamped to it,
// so that a clock reading plus a timeout cannot overflow.
#pragma once

#include <chrono>

namespace lumen::perf::detail {

inline constexpr std::chrono::nanoseconds kLongestWait = std::chrono::hours(24 * 365);

}  // namespace lumen::perf::detail
