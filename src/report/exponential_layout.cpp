#include "report/exponential_layout.hpp"

#include <algorithm>
#include <cmath>

namespace lumen::report::detail {

ExponentialLayout ExponentialLayout::for_point(const metrics::ExponentialHistogramPoint& p) {
  // The range in log2 units: the positive buckets' bounds, or 2^-10 .. 2^10 when there are none.
  double lo = -10;
  double hi = 10;
  if (!p.positive.bucket_counts.empty()) {
    lo = std::ldexp(static_cast<double>(p.positive.offset), -p.scale);
    hi = std::ldexp(static_cast<double>(std::int64_t{p.positive.offset} +
                                        static_cast<std::int64_t>(p.positive.bucket_counts.size())),
                    -p.scale);
  }
  lo = std::floor(lo) - 1;
  hi = std::ceil(hi) + 1;
  ExponentialLayout layout;
  layout.scale = 2;
  while (layout.scale > 0 && (hi - lo) * std::ldexp(1.0, layout.scale) > kExponentialStoreBuckets) {
    --layout.scale;
  }
  const double per_doubling = std::ldexp(1.0, layout.scale);
  const auto span = static_cast<std::int64_t>((hi - lo) * per_doubling);
  layout.buckets = std::min(span, kExponentialStoreBuckets);
  // Centre a range too wide for the budget on the middle of the values.
  const double start = lo + (static_cast<double>(span - layout.buckets) / 2) / per_doubling;
  layout.first_index = static_cast<std::int64_t>(std::floor(start * per_doubling));
  return layout;
}

std::vector<double> ExponentialLayout::bounds() const {
  std::vector<double> out;
  for (std::int64_t k = 0; k < buckets; ++k) {
    out.push_back(std::exp2(std::ldexp(static_cast<double>(first_index + k + 1), -scale)));
  }
  return out;
}

std::size_t ExponentialLayout::bucket_of(std::int64_t index, std::int32_t point_scale) const {
  const std::int64_t j = point_scale >= scale ? index >> (point_scale - scale)
                                              : ((index + 1) << (scale - point_scale)) - 1;
  return static_cast<std::size_t>(std::clamp<std::int64_t>(j - first_index, 0, buckets));
}

std::vector<std::uint64_t> ExponentialLayout::counts(
    const metrics::ExponentialHistogramPoint& p) const {
  std::uint64_t at_or_below_zero = p.zero_count;
  for (std::uint64_t n : p.negative.bucket_counts) at_or_below_zero += n;
  std::vector<std::uint64_t> out{at_or_below_zero};
  out.resize(static_cast<std::size_t>(buckets) + 1, 0);
  const auto& pos = p.positive.bucket_counts;
  for (std::size_t k = 0; k < pos.size(); ++k) {
    out[bucket_of(std::int64_t{p.positive.offset} + static_cast<std::int64_t>(k), p.scale)] +=
        pos[k];
  }
  return out;
}

}  // namespace lumen::report::detail
