// Not API: this header may change or go away in any release. It is in the public tree because
// SystemClock::wall_ns and the tracer read the time inline through it.
//
// The read path of the TSC clock: a time stamp counter read, turned into nanoseconds by a line
// (a base tick, a base time and a slope) that src/core/tsc_clock.cpp calibrates against
// CLOCK_MONOTONIC, re-calibrates about once a second to follow the reference's drift, and
// publishes through a sequence lock. A read takes no lock and makes no call in the common case:
// it is a few loads, one rdtsc and one multiplication. Where the TSC cannot be trusted (it is
// not invariant, a non-x86 machine, LUMEN_CLOCK=system, or a re-calibration found it off by more
// than a millisecond) every read is a clock_gettime instead.
//
//   std::uint64_t start = lumen::detail::tsc_monotonic_ns();   // for a latency
//   std::uint64_t stamp = lumen::detail::tsc_wall_ns();        // Unix epoch ns, for a timestamp
//
// Thread safety: every function may be called from any thread, and in a child after fork().
#pragma once

#include <atomic>
#include <cstdint>
#include <ctime>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define LUMEN_HAVE_TSC 1
#else
#define LUMEN_HAVE_TSC 0
#endif

namespace lumen::detail {

// 128-bit products: a GCC and Clang extension, on every 64-bit target.
__extension__ typedef unsigned __int128 Uint128;
__extension__ typedef __int128 Int128;

// Ticks to nanoseconds: base_ns + (tick - base_tick) * ns_per_tick_q32 / 2^32. A slope in 32.32
// fixed point resolves 2^-32 ns per tick, under a nanosecond of rounding per second at 2 GHz.
struct TscLine {
  std::uint64_t base_tick = 0;
  std::uint64_t base_ns = 0;
  std::uint64_t ns_per_tick_q32 = 0;
};

// Nondecreasing in `tick` on both sides of the base, which a re-calibration may put slightly in
// the future (see next_tsc_line).
inline std::uint64_t tsc_line_ns(const TscLine& line, std::uint64_t tick) noexcept {
  if (tick >= line.base_tick) [[likely]] {
    const auto scaled = static_cast<Uint128>(tick - line.base_tick) * line.ns_per_tick_q32;
    return line.base_ns + static_cast<std::uint64_t>(scaled >> 32);
  }
  const auto scaled = static_cast<Uint128>(line.base_tick - tick) * line.ns_per_tick_q32;
  return line.base_ns - static_cast<std::uint64_t>(scaled >> 32);
}

enum class TscMode : std::uint32_t {
  kUnknown = 0,  // not looked at yet: the first read decides
  kWarming = 1,  // the TSC is usable; reads use clock_gettime until the first calibration
  kTsc = 2,      // reads use the TSC
  kSystem = 3,   // reads use clock_gettime for good (see the overview)
};

// What the read path shares with the calibrator, each field on its own terms: the line and the
// wall offset behind the sequence number (odd while a re-calibration writes them), and `due_tick`,
// when the next re-calibration is due: a reader that finds it passed takes the slow path, where
// one thread at a time re-calibrates while the others go on reading the published line.
struct alignas(64) TscShared {
  std::atomic<TscMode> mode{TscMode::kUnknown};
  std::atomic<std::uint32_t> sequence{0};
  std::atomic<std::uint64_t> base_tick{0};
  std::atomic<std::uint64_t> base_ns{0};
  std::atomic<std::uint64_t> ns_per_tick_q32{0};
  std::atomic<std::uint64_t> wall_offset_ns{0};  // CLOCK_REALTIME - CLOCK_MONOTONIC
  std::atomic<std::uint64_t> due_tick{0};
};
extern TscShared tsc_shared;

// The slow paths, in tsc_clock.cpp: the first read, reads while warming, a re-calibration.
std::uint64_t tsc_monotonic_ns_slow() noexcept;
std::uint64_t tsc_wall_ns_slow() noexcept;

// The mode after a first read (which decides it): kWarming for the first 10 ms of a process that
// will use the TSC, kTsc after, kSystem where it does not.
TscMode tsc_mode() noexcept;

inline std::uint64_t clock_gettime_ns(clockid_t id) noexcept {
  timespec ts;
  clock_gettime(id, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

inline std::uint64_t read_tsc() noexcept {
#if LUMEN_HAVE_TSC
  // Not serialized (some hypervisors hide rdtscp, and lfence doubles the cost): the read may
  // be a few instructions early, which a timestamp or a latency cannot tell from noise.
  return __rdtsc();
#else
  return 0;
#endif
}

// The published line, read consistently, and the counter read under it.
struct TscSnapshot {
  TscLine line;
  std::uint64_t wall_offset_ns = 0;
  std::uint64_t due_tick = 0;
  std::uint64_t tick = 0;
};

inline TscSnapshot tsc_snapshot() noexcept {
  const TscShared& s = tsc_shared;
  for (;;) {
    const std::uint32_t before = s.sequence.load(std::memory_order_acquire);
    // Acquire loads keep the sequence's second read after them (the fence-free form of a
    // sequence lock's read side, which ThreadSanitizer understands; on x86 they are plain loads).
    const TscSnapshot snapshot{
        .line = {.base_tick = s.base_tick.load(std::memory_order_acquire),
                 .base_ns = s.base_ns.load(std::memory_order_acquire),
                 .ns_per_tick_q32 = s.ns_per_tick_q32.load(std::memory_order_acquire)},
        .wall_offset_ns = s.wall_offset_ns.load(std::memory_order_acquire),
        .due_tick = s.due_tick.load(std::memory_order_acquire),
        .tick = read_tsc()};
    if ((before & 1U) == 0 && s.sequence.load(std::memory_order_relaxed) == before) return snapshot;
  }
}

// Returns false when the caller must take the slow path (not in TSC mode, which is never the
// case on a processor without a TSC, or a re-calibration is due); otherwise the monotonic time and
// the wall offset.
inline bool tsc_read(std::uint64_t& mono_ns, std::uint64_t& wall_offset_ns) noexcept {
  if (tsc_shared.mode.load(std::memory_order_relaxed) != TscMode::kTsc) [[unlikely]]
    return false;
  const TscSnapshot snapshot = tsc_snapshot();
  if (snapshot.tick >= snapshot.due_tick) [[unlikely]]
    return false;
  mono_ns = tsc_line_ns(snapshot.line, snapshot.tick);
  wall_offset_ns = snapshot.wall_offset_ns;
  return true;
}

// CLOCK_MONOTONIC's time, from the TSC where it can be trusted.
inline std::uint64_t tsc_monotonic_ns() noexcept {
  std::uint64_t mono, offset;
  if (tsc_read(mono, offset)) [[likely]]
    return mono;
  if (tsc_shared.mode.load(std::memory_order_relaxed) == TscMode::kSystem)
    return clock_gettime_ns(CLOCK_MONOTONIC);
  return tsc_monotonic_ns_slow();
}

// CLOCK_REALTIME's time (Unix epoch ns), from the TSC where it can be trusted.
inline std::uint64_t tsc_wall_ns() noexcept {
  std::uint64_t mono, offset;
  if (tsc_read(mono, offset)) [[likely]]
    return mono + offset;
  if (tsc_shared.mode.load(std::memory_order_relaxed) == TscMode::kSystem)
    return clock_gettime_ns(CLOCK_REALTIME);
  return tsc_wall_ns_slow();
}

}  // namespace lumen::detail
