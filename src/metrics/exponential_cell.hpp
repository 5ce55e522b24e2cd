// Internal: the base-2 exponential histogram of one series (see Base2Exponential in meter.hpp), and
// the bucket arithmetic that collection, delta conversion and the exposition share.
//
// Index mapping: at scale s the base is 2^(2^-s) and bucket i holds magnitudes in
// (base^i, base^(i+1)]. For s <= 0 the index is the binary exponent (one less for an exact power of
// two, whose value is an upper bound) shifted right by -s: exact. For s > 0 it is
// ceil(log2(v) * 2^s) - 1, with exact powers of two computed from the exponent alone; elsewhere
// log2 may put a value within an ulp or so of a boundary into the neighbouring bucket, which the
// OpenTelemetry specification allows.
//
// Thread safety: record() and collect() take the cell's mutex; the cell never allocates after a
// sign's first value (its bucket array is reserved at max_size then).
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "lumen/core/internal/mutex.hpp"
#include "lumen/metrics/meter.hpp"
#include "lumen/metrics/metric_data.hpp"

namespace lumen::metrics::detail {

inline constexpr std::int32_t kMinExponentialScale = -10;
inline constexpr std::int32_t kMaxExponentialScale = 20;
inline constexpr std::uint32_t kMaxExponentialSize = 16384;

// The bucket of a finite magnitude v > 0 at `scale` (kMinExponentialScale .. kMaxExponentialScale).
[[nodiscard]] std::int32_t exponential_index(double v, std::int32_t scale) noexcept;
// base^index at `scale`: the lower (exclusive) bound of bucket `index`, the upper bound of
// bucket index - 1. May be 0 or +Inf past the range of doubles.
[[nodiscard]] double exponential_bound(std::int64_t index, std::int32_t scale) noexcept;
// Merges the buckets of `b` as if they had been recorded at a scale `by` lower.
void downscale(ExponentialBuckets& b, std::int32_t by);
// The smallest scale reduction after which the indexes lo..hi fit in max_size buckets.
[[nodiscard]] std::int32_t scale_reduction(std::int64_t lo, std::int64_t hi,
                                           std::uint32_t max_size) noexcept;

class ExponentialCell {
 public:
  explicit ExponentialCell(const Base2Exponential& options) noexcept;

  // NaN and infinities are ignored (no bucket holds them).
  void record(double v) noexcept;
  // Fills everything but the attributes and exemplars.
  void collect(ExponentialHistogramPoint& point) const;

 private:
  // counts[k] is bucket offset + k; the first and last entries are never zero once non-empty.
  struct Range {
    std::int32_t offset = 0;
    std::vector<std::uint64_t> counts;
  };
  bool add(Range& range, std::int32_t index) noexcept LUMEN_REQUIRES(mu_);
  void downscale_locked(std::int32_t by) noexcept LUMEN_REQUIRES(mu_);
  static void downscale_range(Range& range, std::int32_t by) noexcept;

  const std::uint32_t max_size_;
  mutable lumen::internal::Mutex mu_;
  std::int32_t scale_ LUMEN_GUARDED_BY(mu_);
  std::uint64_t zero_count_ LUMEN_GUARDED_BY(mu_) = 0;
  std::uint64_t count_ LUMEN_GUARDED_BY(mu_) = 0;
  double sum_ LUMEN_GUARDED_BY(mu_) = 0;
  double min_ LUMEN_GUARDED_BY(mu_) = 0;
  double max_ LUMEN_GUARDED_BY(mu_) = 0;
  Range positive_ LUMEN_GUARDED_BY(mu_);
  Range negative_ LUMEN_GUARDED_BY(mu_);
};

}  // namespace lumen::metrics::detail
