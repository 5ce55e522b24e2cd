#include "lumen/metrics/temporality.hpp"

#include <algorithm>
#include <optional>

#include <type_traits>
#include <variant>

#include "metrics/exponential_cell.hpp"

namespace lumen::metrics {
namespace {

// A key that identifies an attribute set: keys, value types and values, with separators that
// cannot be confused (a type tag before each value, lengths before strings).
std::string series_key(const Attributes& attributes) {
  std::string key;
  for (const Attribute& a : attributes) {
    key += std::to_string(a.key.size());
    key += ':';
    key += a.key;
    key += static_cast<char>('0' + a.value.index());
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string>) {
            key += std::to_string(v.size());
            key += ':';
            key += v;
          } else {
            const std::string text = to_string(AttributeValue(v));
            key += std::to_string(text.size());
            key += ':';
            key += text;
          }
        },
        a.value);
  }
  return key;
}

// Drops the empty buckets at both ends (a delta often leaves them).
void trim(ExponentialBuckets& b) {
  auto& c = b.bucket_counts;
  const auto first = std::find_if(c.begin(), c.end(), [](std::uint64_t n) { return n != 0; });
  if (first == c.end()) {
    c.clear();
    b.offset = 0;
    return;
  }
  const auto last = std::find_if(c.rbegin(), c.rend(), [](std::uint64_t n) { return n != 0; });
  c.erase(last.base(), c.end());
  b.offset += static_cast<std::int32_t>(first - c.begin());
  c.erase(c.begin(), first);
}

// now -= before, bucket by bucket; `before` is at the same scale or finer (a cell only coarsens).
void subtract(ExponentialBuckets& now, ExponentialBuckets before, std::int32_t by) {
  detail::downscale(before, by);
  for (std::size_t k = 0; k < before.bucket_counts.size(); ++k) {
    const std::int64_t i = std::int64_t{before.offset} + static_cast<std::int64_t>(k) - now.offset;
    if (i < 0 || i >= static_cast<std::int64_t>(now.bucket_counts.size())) continue;
    std::uint64_t& c = now.bucket_counts[static_cast<std::size_t>(i)];
    c -= std::min(c, before.bucket_counts[k]);
  }
  trim(now);
}

void to_delta(ExponentialHistogramPoint& p, const ExponentialHistogramPoint& before,
              std::uint64_t before_time) {
  const std::int32_t by = before.scale - p.scale;
  subtract(p.positive, before.positive, by);
  subtract(p.negative, before.negative, by);
  p.zero_count -= std::min(p.zero_count, before.zero_count);
  p.count -= before.count;
  p.sum -= before.sum;
  // A cumulative extreme that moved was set in this interval; one that did not says nothing about
  // it.
  if (p.count == 0 || !p.min || (before.min && !(*p.min < *before.min))) p.min.reset();
  if (p.count == 0 || !p.max || (before.max && !(*p.max > *before.max))) p.max.reset();
  std::erase_if(p.exemplars,
                [&](const Exemplar& e) { return p.count == 0 || e.time_unix_nano < before_time; });
}

}  // namespace

void DeltaConverter::convert(MetricsSnapshot& snapshot, const TemporalityOf& temporality_of) {
  std::unordered_map<std::string, Series> next;
  for (MetricData& m : snapshot.metrics) {
    if (m.type == MetricType::kGauge || temporality_of(m.kind) != Temporality::kDelta) continue;
    std::string metric_key = m.scope;
    metric_key += '\0';
    metric_key += m.name;
    const auto found = metrics_.find(metric_key);
    const Series* previous = found == metrics_.end() ? nullptr : &found->second;
    Series& current = next[metric_key];
    current.time_unix_nano = m.time_unix_nano;
    current.points.reserve(m.number_points.size() + m.histogram_points.size() +
                           m.exponential_points.size());
    m.temporality = Temporality::kDelta;
    if (previous != nullptr) m.start_time_unix_nano = previous->time_unix_nano;

    const auto previous_point = [&](const std::string& key) -> const Previous* {
      if (previous == nullptr) return nullptr;
      const auto it = previous->points.find(key);
      return it == previous->points.end() ? nullptr : &it->second;
    };
    for (NumberPoint& p : m.number_points) {
      std::string key = series_key(p.attributes);
      Previous now{.value = p.value, .int_value = p.int_value};
      if (const Previous* before = previous_point(key)) {
        const bool reset = m.is_integer ? p.int_value < before->int_value : p.value < before->value;
        if (!reset) {
          p.int_value -= before->int_value;
          p.value = m.is_integer ? static_cast<double>(p.int_value) : p.value - before->value;
          if (p.value == 0) p.exemplar.reset();  // it was recorded in an earlier interval
        }
      }
      current.points.emplace(std::move(key), std::move(now));
    }
    for (HistogramPoint& p : m.histogram_points) {
      std::string key = series_key(p.attributes);
      Previous now{.bucket_counts = p.bucket_counts, .sum = p.sum, .count = p.count, .max = p.max};
      const Previous* before = previous_point(key);
      if (before != nullptr && before->count <= p.count &&
          before->bucket_counts.size() == p.bucket_counts.size()) {
        p.count -= before->count;
        p.sum -= before->sum;
        // The cumulative largest value is this interval's only if it grew in it.
        if (p.count == 0 || (before->max && p.max && *p.max <= *before->max)) p.max.reset();
        for (std::size_t i = 0; i < p.bucket_counts.size(); ++i) {
          p.bucket_counts[i] -= std::min(p.bucket_counts[i], before->bucket_counts[i]);
        }
        // An exemplar belongs to this interval only if its bucket grew in it.
        for (std::size_t i = 0; i < p.exemplars.size() && i < p.bucket_counts.size(); ++i) {
          if (p.bucket_counts[i] == 0) p.exemplars[i].reset();
        }
      }
      current.points.emplace(std::move(key), std::move(now));
    }
    for (ExponentialHistogramPoint& p : m.exponential_points) {
      std::string key = series_key(p.attributes);
      Previous now;
      now.exponential = std::make_unique<ExponentialHistogramPoint>(p);
      now.exponential->attributes = Attributes();
      now.exponential->exemplars.clear();
      const Previous* before = previous_point(key);
      if (before != nullptr && before->exponential && before->exponential->count <= p.count &&
          before->exponential->scale >= p.scale) {
        to_delta(p, *before->exponential, previous->time_unix_nano);
      }
      current.points.emplace(std::move(key), std::move(now));
    }
  }
  metrics_ = std::move(next);
}

std::size_t DeltaConverter::remembered_series() const noexcept {
  std::size_t n = 0;
  for (const auto& [name, series] : metrics_) n += series.points.size();
  return n;
}

}  // namespace lumen::metrics
