#include "lumen/metrics/internal/cells.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "lumen/core/context.hpp"
#include "metrics/exponential_cell.hpp"

namespace lumen::metrics::detail {

void ExemplarSlots::offer(std::size_t slot, double value) noexcept {
  const SpanContext& span = Context::current().span();
  const bool in_span = span.is_sampled() && span.is_valid();
  if (!in_span && !every_measurement_) return;
  const std::uint64_t now = clock_->wall_ns();
  std::lock_guard lock(mu_);
  slots_[slot] = in_span ? Exemplar{value, span.trace_id(), span.span_id(), now}
                         : Exemplar{value, TraceId{}, SpanId{}, now};
}

std::vector<std::optional<Exemplar>> ExemplarSlots::snapshot() const {
  std::lock_guard lock(mu_);
  return slots_;
}

HistogramCell::HistogramCell(const std::vector<double>& bounds, const Clock* exemplar_clock,
                             bool every_measurement)
    : bounds_(bounds.data()),
      n_(bounds.size()),
      stride_((bounds.size() + 1 + 7) / 8 * 8),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(stride_ * kStripes)),
      exemplars_(exemplar_clock != nullptr
                     ? std::make_unique<ExemplarSlots>(bounds.size() + 1, exemplar_clock,
                                                       every_measurement)
                     : nullptr),
      every_measurement_(every_measurement) {
  for (std::size_t i = 0; i < stride_ * kStripes; ++i) {
    counts_[i].store(0, std::memory_order_relaxed);
  }
}

HistogramCell::HistogramCell(std::unique_ptr<ExponentialCell> exponential,
                             const Clock* exemplar_clock, bool every_measurement)
    : exponential_(std::move(exponential)),
      bounds_(nullptr),
      n_(0),
      stride_(0),
      exemplars_(exemplar_clock != nullptr
                     ? std::make_unique<ExemplarSlots>(1, exemplar_clock, every_measurement)
                     : nullptr),
      every_measurement_(every_measurement) {}

HistogramCell::~HistogramCell() = default;

void HistogramCell::record_exponential(double v) noexcept {
  exponential_->record(v);
  if (exemplars_ && std::isfinite(v) && (every_measurement_ || in_sampled_span())) {
    exemplars_->offer(0, v);
  }
}

void HistogramCell::collect(ExponentialHistogramPoint& point) const {
  exponential_->collect(point);
  point.exemplars.clear();
  if (exemplars_) {
    for (auto& e : exemplars_->snapshot()) {
      if (e) point.exemplars.push_back(*e);
    }
  }
}

void HistogramCell::collect(HistogramPoint& point) const {
  point.bucket_counts.assign(n_ + 1, 0);
  point.count = 0;
  point.sum = 0;
  double max = -std::numeric_limits<double>::infinity();
  for (std::size_t s = 0; s < kStripes; ++s) {
    for (std::size_t b = 0; b <= n_; ++b) {
      const std::uint64_t c = counts_[s * stride_ + b].load(std::memory_order_relaxed);
      point.bucket_counts[b] += c;
      point.count += c;
    }
    point.sum += sums_[s].sum.load(std::memory_order_relaxed);
    max = std::max(max, sums_[s].max.load(std::memory_order_relaxed));
  }
  point.max = point.count > 0 ? std::optional<double>(max) : std::nullopt;
  if (exemplars_) {
    point.exemplars = exemplars_->snapshot();
  } else {
    point.exemplars.assign(n_ + 1, std::nullopt);
  }
}

}  // namespace lumen::metrics::detail
