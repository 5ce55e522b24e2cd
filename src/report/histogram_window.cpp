#include <algorithm>
#include <cmath>

#include "lumen/report/time_series_store.hpp"

namespace lumen::report {

double HistogramWindow::quantile(double q) const noexcept {
  double total = 0;
  for (double c : bucket_counts) total += c;
  if (total <= 0 || bounds.empty()) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const double rank = q * total;
  double cum = 0;
  for (std::size_t i = 0; i < bucket_counts.size(); ++i) {
    const double c = bucket_counts[i];
    if (c > 0 && cum + c >= rank) {
      const double lower = i == 0 ? std::min(0.0, bounds[0]) : bounds[i - 1];
      // The +Inf bucket ends at the largest value when it is known.
      const double upper = i < bounds.size() ? bounds[i] : std::isfinite(max) ? max : lower;
      const double at = lower + (upper - lower) * std::clamp((rank - cum) / c, 0.0, 1.0);
      // Interpolation spreads a bucket's values evenly up to its bound; none went past `max`.
      return std::min(at, max);
    }
    cum += c;
  }
  return std::min(bounds.back(), max);
}

double HistogramWindow::count_at_or_below(double x) const noexcept {
  double below = 0;
  for (std::size_t i = 0; i < bucket_counts.size(); ++i) {
    const double c = bucket_counts[i];
    if (i >= bounds.size()) break;  // +Inf bucket: nothing known to be <= x
    const double lower = i == 0 ? std::min(0.0, bounds[0]) : bounds[i - 1];
    const double upper = bounds[i];
    if (x >= upper) {
      below += c;
    } else {
      if (x > lower) below += c * (x - lower) / (upper - lower);
      break;
    }
  }
  return below;
}

}  // namespace lumen::report
