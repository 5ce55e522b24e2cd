// DeltaConverter: turns successive cumulative collections into delta points for the instruments
// an exporter wants as deltas (see temporality_for). It keeps the previous cumulative value of each
// series it saw in the last collection, and nothing else: memory is bounded by the provider's
// cardinality limit (plus one overflow series) per instrument, and series that stop being reported
// (an observable that no longer observes them) are forgotten.
//
//   lumen::metrics::DeltaConverter delta;
//   lumen::metrics::MetricsSnapshot snap = provider.collect();
//   delta.convert(snap, [&](InstrumentKind k) { return exporter.temporality(k); });
//   exporter.export_metrics(snap, deadline);
//
// A delta point's start time is the previous collection's time (the instrument's start time on the
// first collection). A cumulative value that went down (a process restart behind an observable
// counter) is reported as a reset: the delta is the new value. An exponential histogram's delta is
// taken at the current scale (the previous buckets are merged down to it first); its min and max
// are kept only when this interval set them. Not thread-safe: one reader owns it.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "lumen/metrics/metric_data.hpp"

namespace lumen::metrics {

class DeltaConverter {
 public:
  using TemporalityOf = std::function<Temporality(InstrumentKind)>;

  // Rewrites, in place, the metrics of `snapshot` whose kind maps to Temporality::kDelta.
  void convert(MetricsSnapshot& snapshot, const TemporalityOf& temporality_of);

  // Series remembered from the last collection (for tests of the memory bound).
  [[nodiscard]] std::size_t remembered_series() const noexcept;

 private:
  struct Previous {
    double value = 0;
    std::int64_t int_value = 0;
    std::vector<std::uint64_t> bucket_counts;
    double sum = 0;
    std::uint64_t count = 0;
    std::optional<double> max;  // explicit-bucket histograms
    // Exponential histograms (without attributes); null for other points, which stay small.
    std::unique_ptr<ExponentialHistogramPoint> exponential;
  };
  struct Series {
    std::uint64_t time_unix_nano = 0;
    std::unordered_map<std::string, Previous> points;  // by attribute-set key
  };
  std::unordered_map<std::string, Series> metrics_;  // by scope + '\0' + name
};

}  // namespace lumen::metrics
