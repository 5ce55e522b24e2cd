// A coarse monotonic clock for the coalescer's hit path. One process-wide thread stores
// CLOCK_MONOTONIC into an atomic every 4 ms (the resolution CLOCK_MONOTONIC_COARSE has on a
// 250 Hz kernel, which it replaces), so a read is one relaxed load instead of a vDSO call: the
// call was a third of a cache hit. The thread (a BackgroundWorker) starts on the first read, and
// again on the first read in a child after fork(), which keeps no thread but the one that forked;
// it is stopped and joined at exit, after which reads fall back to clock_gettime.
#pragma once

#include <chrono>
#include <cstdint>

namespace lumen::perf::detail {

inline constexpr std::chrono::milliseconds kClockTick{4};

// Never decreases; lags CLOCK_MONOTONIC by at most about one tick. If the thread cannot be
// started, every read falls back to clock_gettime.
std::uint64_t ticking_monotonic_ns() noexcept;

}  // namespace lumen::perf::detail
