// The median of a sample (the mean of the two middle values when their count is even; 0 when
// empty), for the report's and the alerts' robust baselines.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace lumen::report::detail {

inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  const double upper = *mid;
  if (v.size() % 2 == 1) return upper;
  return (upper + *std::max_element(v.begin(), mid)) / 2.0;
}

}  // namespace lumen::report::detail
