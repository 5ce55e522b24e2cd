// How the time-series store keeps an exponential histogram: on fixed explicit bounds, chosen per
// metric from the first point seen, so that windows subtract and the series of one metric merge
// like any other histogram. Private to src/report.
//
// The bounds are powers of 2^(2^-scale) with scale at most 2 (about 19 % per bucket), covering the
// first point's positive buckets with a doubling of room on each side, in at most
// kExponentialStoreBuckets buckets (the scale drops until the range fits: 2 up to 12 doublings,
// 1 up to 24, 0 beyond). Zero and negative values count in the first bucket, values beyond the
// last bound in +Inf.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "lumen/metrics/metric_data.hpp"

namespace lumen::report::detail {

inline constexpr std::int64_t kExponentialStoreBuckets = 48;

struct ExponentialLayout {
  std::int32_t scale = 0;
  std::int64_t first_index = 0;  // the store's bucket k is the layout's bucket first_index + k
  std::int64_t buckets = 0;

  // The layout for a metric whose first point is p.
  static ExponentialLayout for_point(const metrics::ExponentialHistogramPoint& p);

  // The explicit upper bounds.
  [[nodiscard]] std::vector<double> bounds() const;

  // The store bucket of the point's positive bucket `index` at `point_scale` (the one holding its
  // upper bound when the point is coarser than the layout).
  [[nodiscard]] std::size_t bucket_of(std::int64_t index, std::int32_t point_scale) const;

  // Per-bucket counts (not cumulative) on bounds(), then +Inf.
  [[nodiscard]] std::vector<std::uint64_t> counts(
      const metrics::ExponentialHistogramPoint& p) const;
};

}  // namespace lumen::report::detail
