#include "metrics/exponential_cell.hpp"

#include <algorithm>
#include <cmath>

namespace lumen::metrics::detail {
namespace {

// Bucket offset + k moves to ((offset + k) >> by) - (offset >> by). Targets never lie after their
// source, so one ascending pass merges in place.
void merge_buckets(std::int32_t& offset, std::vector<std::uint64_t>& counts, std::int32_t by) {
  if (by <= 0 || counts.empty()) return;
  const std::int64_t first = offset;
  const std::int64_t new_offset = first >> by;
  for (std::size_t k = 0; k < counts.size(); ++k) {
    const std::uint64_t c = counts[k];
    counts[k] = 0;
    counts[static_cast<std::size_t>(((first + static_cast<std::int64_t>(k)) >> by) - new_offset)] +=
        c;
  }
  const std::int64_t last = first + static_cast<std::int64_t>(counts.size()) - 1;
  counts.resize(static_cast<std::size_t>((last >> by) - new_offset + 1));
  offset = static_cast<std::int32_t>(new_offset);
}

}  // namespace

std::int32_t exponential_index(double v, std::int32_t scale) noexcept {
  int exp = 0;
  const double m = std::frexp(v, &exp);  // v = m * 2^exp, 0.5 <= m < 1
  if (m == 0.5) {
    // v = 2^(exp-1) exactly: the upper bound of the bucket just below it.
    if (scale >= 0)
      return static_cast<std::int32_t>((std::int64_t{exp} - 1) * (std::int64_t{1} << scale) - 1);
    return (exp - 2) >> -scale;
  }
  // 2^(exp-1) < v < 2^exp: bucket exp-1 at scale 0.
  if (scale <= 0) return (exp - 1) >> -scale;
  const std::int64_t per_octave = std::int64_t{1} << scale;
  const std::int64_t lo = (std::int64_t{exp} - 1) * per_octave;
  const std::int64_t hi = std::int64_t{exp} * per_octave - 1;
  const auto index =
      static_cast<std::int64_t>(std::ceil(std::log2(v) * static_cast<double>(per_octave))) - 1;
  // log2 cannot be trusted to an ulp, but the exponent bounds the bucket to this octave.
  return static_cast<std::int32_t>(std::clamp(index, lo, hi));
}

double exponential_bound(std::int64_t index, std::int32_t scale) noexcept {
  std::int64_t whole = 0;  // base^index = 2^whole * 2^(part / 2^scale)
  std::int64_t part = 0;
  if (scale <= 0) {
    whole = index * (std::int64_t{1} << std::min(-scale, 40));
  } else {
    whole = index >> scale;
    part = index - (whole << scale);
  }
  whole = std::clamp<std::int64_t>(whole, -2000, 2000);
  const double fraction =
      part == 0
          ? 1.0
          : std::exp2(static_cast<double>(part) / static_cast<double>(std::int64_t{1} << scale));
  return std::ldexp(fraction, static_cast<int>(whole));
}

void downscale(ExponentialBuckets& b, std::int32_t by) {
  merge_buckets(b.offset, b.bucket_counts, by);
}

std::int32_t scale_reduction(std::int64_t lo, std::int64_t hi, std::uint32_t max_size) noexcept {
  std::int32_t by = 0;
  while ((hi >> by) - (lo >> by) + 1 > static_cast<std::int64_t>(max_size)) ++by;
  return by;
}

ExponentialCell::ExponentialCell(const Base2Exponential& options) noexcept
    : max_size_(options.max_size), scale_(options.max_scale) {}

bool ExponentialCell::add(Range& range, std::int32_t index) noexcept {
  if (range.counts.empty()) {
    try {
      range.counts.reserve(max_size_);
    } catch (...) {
      return false;  // out of memory: the measurement is lost, the application is not
    }
    range.offset = index;
    range.counts.push_back(1);
    return true;
  }
  // The caller made the range fit in max_size buckets, so the reserved capacity suffices.
  if (index < range.offset) {
    range.counts.insert(range.counts.begin(), static_cast<std::size_t>(range.offset - index), 0);
    range.offset = index;
  } else if (static_cast<std::size_t>(index - range.offset) >= range.counts.size()) {
    range.counts.resize(static_cast<std::size_t>(index - range.offset) + 1, 0);
  }
  ++range.counts[static_cast<std::size_t>(index - range.offset)];
  return true;
}

void ExponentialCell::downscale_range(Range& range, std::int32_t by) noexcept {
  merge_buckets(range.offset, range.counts, by);  // shrinks only: no allocation
}

void ExponentialCell::downscale_locked(std::int32_t by) noexcept {
  scale_ -= by;
  downscale_range(positive_, by);
  downscale_range(negative_, by);
}

void ExponentialCell::record(double v) noexcept {
  if (!std::isfinite(v)) return;
  lumen::internal::MutexLock lock(mu_);
  if (v == 0) {
    ++zero_count_;
  } else {
    Range& range = v > 0 ? positive_ : negative_;
    std::int32_t index = exponential_index(std::fabs(v), scale_);
    if (!range.counts.empty()) {
      const std::int64_t last =
          std::int64_t{range.offset} + static_cast<std::int64_t>(range.counts.size()) - 1;
      const std::int32_t by = scale_reduction(std::min<std::int64_t>(range.offset, index),
                                              std::max<std::int64_t>(last, index), max_size_);
      if (by > 0) {
        downscale_locked(by);
        index >>= by;
      }
    }
    if (!add(range, index)) return;
  }
  if (count_ == 0) {
    min_ = v;
    max_ = v;
  } else {
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
  }
  ++count_;
  sum_ += v;
}

void ExponentialCell::collect(ExponentialHistogramPoint& point) const {
  lumen::internal::MutexLock lock(mu_);
  point.scale = scale_;
  point.zero_count = zero_count_;
  point.positive.offset = positive_.offset;
  point.positive.bucket_counts = positive_.counts;
  point.negative.offset = negative_.offset;
  point.negative.bucket_counts = negative_.counts;
  point.sum = sum_;
  point.count = count_;
  if (count_ > 0) {
    point.min = min_;
    point.max = max_;
  } else {
    point.min.reset();
    point.max.reset();
  }
}

}  // namespace lumen::metrics::detail
