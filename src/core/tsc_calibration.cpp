#include "core/tsc_calibration.hpp"

#include <algorithm>

namespace lumen::detail {

TscSample tightest_sample(std::span<const TscBracket> brackets) noexcept {
  TscSample best{.width_ticks = UINT64_MAX};
  for (const TscBracket& b : brackets) {
    if (b.tick_after < b.tick_before) continue;  // cannot happen on one core; on two, ignore it
    const std::uint64_t width = b.tick_after - b.tick_before;
    if (width < best.width_ticks)
      best = {.tick = b.tick_before + width / 2, .ns = b.ns, .width_ticks = width};
  }
  return best;
}

std::uint64_t tsc_rate_q32(const TscSample& older, const TscSample& newer) noexcept {
  if (newer.tick <= older.tick || newer.ns <= older.ns) return 0;
  const auto ns = static_cast<Uint128>(newer.ns - older.ns) << 32;
  return static_cast<std::uint64_t>(ns / (newer.tick - older.tick));
}

TscLine first_tsc_line(const TscSample& older, const TscSample& newer) noexcept {
  const std::uint64_t rate = tsc_rate_q32(older, newer);
  const auto width_ns =
      static_cast<std::uint64_t>((static_cast<Uint128>(newer.width_ticks) * rate) >> 32);
  return {.base_tick = newer.tick, .base_ns = newer.ns + width_ns, .ns_per_tick_q32 = rate};
}

TscCorrection next_tsc_line(const TscLine& current, const TscRecalibration& r) noexcept {
  const std::uint64_t now_tick = r.reference.tick;
  const auto error = static_cast<std::int64_t>(r.reference.ns - tsc_line_ns(current, now_tick));
  // The slope that closes the error over the horizon, within the slew bound.
  const Int128 bound = static_cast<Int128>(r.rate_q32) * r.max_slew_ppm / 1'000'000;
  Int128 correction =
      r.horizon_ticks == 0 ? 0 : (static_cast<Int128>(error) << 32) / r.horizon_ticks;
  correction = std::clamp(correction, -bound, bound);
  const Int128 slope = std::max<Int128>(1, static_cast<Int128>(r.rate_q32) + correction);
  const auto new_slope = static_cast<std::uint64_t>(slope);
  const std::uint64_t pivot =
      new_slope >= current.ns_per_tick_q32 ? now_tick : now_tick + r.publish_ticks;
  // A nanosecond ahead of the current line at the pivot: each line rounds down on its own, and the
  // two roundings could otherwise put the new line a nanosecond behind the old one.
  return {.line = {.base_tick = pivot,
                   .base_ns = tsc_line_ns(current, pivot) + 1,
                   .ns_per_tick_q32 = new_slope},
          .error_ns = error};
}

}  // namespace lumen::detail
