// Not API: this header may change or go away in any release. It is in the public tree so that bound
// handles (lumen/metrics/instruments.hpp) can update a series inline; applications use Counter,
// Histogram and their bound handles.
//
// The storage one attribute set (one series) updates on the hot path.
//
// Each cell is striped (lumen/core/internal/striped_counter.hpp): a thread that owns a stripe
// updates it with plain loads and stores of relaxed atomics, the threads that share one with
// atomic read-modify-writes; two threads adding to the same series touch different cache lines
// unless they share one. Collection folds the stripes with relaxed reads (a scrape sees each
// stripe at some recent value, which is all a cumulative metric promises).
//
//   detail::SumCell cell;
//   cell.add(std::int64_t{1});
//   std::int64_t total = cell.load_int();
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "lumen/core/clock.hpp"
#include "lumen/core/context.hpp"
#include "lumen/core/internal/striped_counter.hpp"
#include "lumen/metrics/metric_data.hpp"

namespace lumen::metrics::detail {

using lumen::detail::add_to_stripe;
using lumen::detail::kStripes;
using lumen::detail::thread_stripe;
using lumen::detail::ThreadStripe;

// Context::current() is inline: the sampled-span test on the hot path is a thread-local load, a
// null test and a flag test.
inline bool in_sampled_span() noexcept {
  return Context::current().span().is_sampled();
}

// Exemplars of one series: one slot per bucket (one in all for sums). With the trace_based filter
// written only when a measurement is taken inside a sampled span, so a mutex is cheap enough
// here; always_on (every_measurement) offers every measurement, which its user chose to pay for.
class ExemplarSlots {
 public:
  ExemplarSlots(std::size_t slots, const Clock* clock, bool every_measurement)
      : clock_(clock), every_measurement_(every_measurement), slots_(slots) {}
  // Keeps the value as the slot's exemplar, with the current span's ids when it is valid and
  // sampled; without every_measurement, only then.
  void offer(std::size_t slot, double value) noexcept;
  [[nodiscard]] std::vector<std::optional<Exemplar>> snapshot() const;

 private:
  const Clock* clock_;
  const bool every_measurement_;
  mutable std::mutex mu_;
  std::vector<std::optional<Exemplar>> slots_;
};

struct alignas(64) SumStripe {
  std::atomic<std::int64_t> i{0};
  std::atomic<double> d{0};
};

class SumCell {
 public:
  // No exemplars without a clock; `every_measurement`: the always_on exemplar filter.
  explicit SumCell(const Clock* exemplar_clock = nullptr, bool every_measurement = false)
      : exemplars_(exemplar_clock != nullptr
                       ? std::make_unique<ExemplarSlots>(1, exemplar_clock, every_measurement)
                       : nullptr),
        every_measurement_(every_measurement) {}

  void add(std::int64_t v) noexcept {
    const ThreadStripe s = thread_stripe();
    add_to_stripe(stripes_[s.index].i, v, s.owned);
    if (exemplars_ && (every_measurement_ || in_sampled_span())) {
      exemplars_->offer(0, static_cast<double>(v));
    }
  }
  void add(double v) noexcept {
    const ThreadStripe s = thread_stripe();
    add_to_stripe(stripes_[s.index].d, v, s.owned);
    if (exemplars_ && (every_measurement_ || in_sampled_span())) exemplars_->offer(0, v);
  }
  // Gauges: the last value wins (only observable gauges use this, at collection).
  void set(double v) noexcept { stripes_[0].d.store(v, std::memory_order_relaxed); }

  [[nodiscard]] std::int64_t load_int() const noexcept {
    std::int64_t sum = 0;
    for (const auto& s : stripes_) sum += s.i.load(std::memory_order_relaxed);
    return sum;
  }
  [[nodiscard]] double load_double() const noexcept {
    double sum = 0;
    for (const auto& s : stripes_) sum += s.d.load(std::memory_order_relaxed);
    return sum;
  }
  [[nodiscard]] const ExemplarSlots* exemplars() const noexcept { return exemplars_.get(); }

 private:
  SumStripe stripes_[kStripes];
  std::unique_ptr<ExemplarSlots> exemplars_;
  const bool every_measurement_;  // here, beside exemplars_: no second cache line per measurement
};

class ExponentialCell;

// A histogram's per-stripe sum and largest value, on one cache line.
struct alignas(64) HistogramStripe {
  std::atomic<double> sum{0};
  std::atomic<double> max{-std::numeric_limits<double>::infinity()};
};

class HistogramCell {
 public:
  // `bounds` (sorted, strictly increasing) must outlive the cell: the instrument owns them.
  // No exemplars without a clock; `every_measurement`: the always_on exemplar filter.
  HistogramCell(const std::vector<double>& bounds, const Clock* exemplar_clock,
                bool every_measurement = false);
  // A cell that records into base-2 exponential buckets instead (it takes ownership).
  HistogramCell(std::unique_ptr<ExponentialCell> exponential, const Clock* exemplar_clock,
                bool every_measurement = false);
  ~HistogramCell();
  HistogramCell(const HistogramCell&) = delete;
  HistogramCell& operator=(const HistogramCell&) = delete;

  void record(double v) noexcept {
    // Exponential aggregation is an option; the explicit-bucket path pays one predicted branch.
    if (exponential_ != nullptr) [[unlikely]] {
      record_exponential(v);
      return;
    }
    if (v != v) return;  // NaN has no bucket; it would also poison the sum
    const std::size_t b = bucket(v);
    const ThreadStripe s = thread_stripe();
    add_to_stripe(counts_[s.index * stride_ + b], std::uint64_t{1}, s.owned);
    HistogramStripe& stripe_sums = sums_[s.index];
    add_to_stripe(stripe_sums.sum, v, s.owned);
    // The largest value only grows: once a series has warmed up this is a load and a compare
    // (the exchange, rare, is the same for an owner and a sharer).
    double max = stripe_sums.max.load(std::memory_order_relaxed);
    while (v > max && !stripe_sums.max.compare_exchange_weak(max, v, std::memory_order_relaxed)) {
    }
    if (exemplars_ && (every_measurement_ || in_sampled_span())) exemplars_->offer(b, v);
  }

  // The first bucket whose upper bound is >= v (upper bounds are inclusive); n for +Inf.
  [[nodiscard]] std::size_t bucket(double v) const noexcept {
    if (n_ <= 12) {
      std::size_t i = 0;
      while (i < n_ && bounds_[i] < v) ++i;
      return i;
    }
    return static_cast<std::size_t>(std::lower_bound(bounds_, bounds_ + n_, v) - bounds_);
  }

  [[nodiscard]] std::size_t bucket_count() const noexcept { return n_ + 1; }
  [[nodiscard]] bool is_exponential() const noexcept { return exponential_ != nullptr; }
  // Fills point.bucket_counts, sum, count, max and exemplars.
  void collect(HistogramPoint& point) const;
  // Exponential cells: fills everything but the attributes.
  void collect(ExponentialHistogramPoint& point) const;

 private:
  void record_exponential(double v) noexcept;

  std::unique_ptr<ExponentialCell> exponential_;  // null for explicit buckets
  const double* bounds_;
  std::size_t n_;
  std::size_t stride_;  // counters per stripe, rounded up to a cache line
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
  HistogramStripe sums_[kStripes];
  std::unique_ptr<ExemplarSlots> exemplars_;
  const bool every_measurement_;  // here, beside exemplars_: no second cache line per measurement
};

}  // namespace lumen::metrics::detail
