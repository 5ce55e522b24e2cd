// TimeSeriesStore: an embedded, bounded time-series store fed with metrics snapshots, and the
// windowed queries the report, the alerts and the dashboard are built on.
//
//   lumen::report::TimeSeriesStore store({.raw_interval = std::chrono::seconds(10)});
//   store.record(provider.collect(), clock.wall_ns());          // every 10 s (Dashboard does it)
//   double n = store.increase("orders.placed", {{"outcome", "accepted"}}, t0, t1);
//   auto by_route = store.histogram_by("http.server.request.duration", "http.route", {}, t0, t1);
//   double p99 = store.histogram("http.server.request.duration", {}, t0, t1).quantile(0.99);
//   double active = store.gauge("http.server.active_requests", {}, t0, t1).latest;
//
// Layout. Every sample shares one timestamp ring, so a column (one number of one series: a counter
// value, a gauge value, a histogram's count, sum or one bucket) is a plain array of doubles with
// NaN where the series was absent. Two rings: raw samples for `raw_retention` (1 h at 10 s = 361
// slots) and one-minute points for `retention` (24 h = 1440 slots). A minute point keeps the last
// value of the minute (what counters and histograms need) and, for gauges, the minute's mean and
// max. Memory: 8 bytes x (raw slots + coarse slots) per column, plus 2 x 8 x coarse slots more for
// a gauge column: 14.1 KiB per counter or histogram column and 36.6 KiB per gauge column with the
// defaults, so 2,000 columns (the default max_columns), half of them gauges, stay under 52 MiB plus
// the series names (72 MiB if all were gauges). docs/REPORT.md has the arithmetic.
// A histogram uses (buckets + 2) columns; an exponential one is kept on at most 48 fixed buckets
// per metric (51 columns). Past max_columns new series are dropped and counted.
//
// Queries cover (t0, t1]. Cumulative columns (counters, histograms) use the last sample at or
// before t0 as the baseline; a drop between two samples is a reset, after which the new value
// counts in full. A series that appears after an earlier sample in which it was absent counts from
// zero; the very first sample of the store is only a baseline (what happened before it is unknown).
// A window older than the raw ring is answered from the minute points merged with the raw samples.
//
// Thread safety: every method may be called from any thread (one mutex).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lumen/metrics/metric_data.hpp"

namespace lumen::report {

// Attribute equality matchers: a series matches when it has every listed label with that value.
using Labels = std::vector<std::pair<std::string, std::string>>;

struct StoreOptions {
  std::chrono::nanoseconds raw_interval = std::chrono::seconds(10);
  std::chrono::nanoseconds raw_retention = std::chrono::hours(1);
  std::chrono::nanoseconds coarse_interval = std::chrono::minutes(1);
  std::chrono::nanoseconds retention = std::chrono::hours(24);
  std::size_t max_columns = 2000;
};

struct HistogramWindow {
  std::vector<double> bounds;         // explicit upper bounds
  std::vector<double> bucket_counts;  // increase per bucket over the window (bounds.size() + 1)
  double count = 0;
  double sum = 0;
  // No observation in the window is larger: the largest one, or a bound on it (the largest value
  // recorded up to the window's end). Infinity when unknown (a source without it, as Prometheus).
  double max = std::numeric_limits<double>::infinity();
  [[nodiscard]] double mean() const noexcept { return count > 0 ? sum / count : 0.0; }
  // Linear interpolation inside the bucket holding the q-th observation, never above `max`; the
  // first bucket starts at 0 (or its bound when negative), the +Inf bucket ends at `max` when it is
  // known, else answers the last finite bound. 0 when empty.
  [[nodiscard]] double quantile(double q) const noexcept;
  // Observations <= x, interpolated linearly inside x's bucket (for Apdex).
  [[nodiscard]] double count_at_or_below(double x) const noexcept;
};

struct GaugeWindow {
  double first = 0;  // the oldest value in the window, and when
  std::uint64_t first_time = 0;
  double latest = 0;
  std::uint64_t latest_time = 0;
  double mean = 0;
  double max = 0;
  std::size_t samples = 0;  // 0: no data in the window (the other fields are 0)
  // (latest - first) per second; 0 with fewer than two samples.
  [[nodiscard]] double slope_per_second() const noexcept {
    return latest_time > first_time
               ? (latest - first) / (static_cast<double>(latest_time - first_time) / 1e9)
               : 0.0;
  }
};

struct StoreStats {
  std::size_t series = 0;
  std::size_t columns = 0;
  std::uint64_t dropped_series = 0;  // new series refused past max_columns (counted per sample)
  std::uint64_t samples = 0;
  std::size_t memory_bytes = 0;  // the column arrays and timestamp rings
};

// The windowed queries the report is computed from: the embedded store answers them, and so can a
// Prometheus server (PrometheusSource, PROMETHEUS_URL). Implementations are thread-safe.
class MetricsSource {
 public:
  virtual ~MetricsSource() = default;
  [[nodiscard]] virtual double increase(std::string_view name, const Labels& match,
                                        std::uint64_t t0, std::uint64_t t1) const = 0;
  [[nodiscard]] virtual std::map<std::string, double> increase_by(std::string_view name,
                                                                  std::string_view label,
                                                                  const Labels& match,
                                                                  std::uint64_t t0,
                                                                  std::uint64_t t1) const = 0;
  [[nodiscard]] virtual HistogramWindow histogram(std::string_view name, const Labels& match,
                                                  std::uint64_t t0, std::uint64_t t1) const = 0;
  [[nodiscard]] virtual std::map<std::string, HistogramWindow> histogram_by(
      std::string_view name, std::string_view label, const Labels& match, std::uint64_t t0,
      std::uint64_t t1) const = 0;
  [[nodiscard]] virtual GaugeWindow gauge(std::string_view name, const Labels& match,
                                          std::uint64_t t0, std::uint64_t t1) const = 0;
  [[nodiscard]] virtual std::map<std::string, GaugeWindow> gauge_by(std::string_view name,
                                                                    std::string_view label,
                                                                    const Labels& match,
                                                                    std::uint64_t t0,
                                                                    std::uint64_t t1) const = 0;
  // The time span the source has data for (0 when empty).
  [[nodiscard]] virtual std::uint64_t latest_time() const = 0;
  [[nodiscard]] virtual std::uint64_t oldest_time() const = 0;
};

class TimeSeriesStore final : public MetricsSource {
 public:
  explicit TimeSeriesStore(StoreOptions options = {});
  ~TimeSeriesStore() override;
  TimeSeriesStore(const TimeSeriesStore&) = delete;
  TimeSeriesStore& operator=(const TimeSeriesStore&) = delete;

  // Adds one sample of every series in `snapshot` at `time_ns` (Unix ns). Samples must come in
  // increasing time order; an older or equal timestamp is ignored (returns false).
  bool record(const metrics::MetricsSnapshot& snapshot, std::uint64_t time_ns);

  // Counters (and the count of a histogram): summed over the matching series.
  [[nodiscard]] double increase(std::string_view name, const Labels& match, std::uint64_t t0,
                                std::uint64_t t1) const override;
  // increase / (t1 - t0) in seconds.
  [[nodiscard]] double rate(std::string_view name, const Labels& match, std::uint64_t t0,
                            std::uint64_t t1) const;
  // increase grouped by the value of `label` (series without it are grouped under "").
  [[nodiscard]] std::map<std::string, double> increase_by(std::string_view name,
                                                          std::string_view label,
                                                          const Labels& match, std::uint64_t t0,
                                                          std::uint64_t t1) const override;
  [[nodiscard]] HistogramWindow histogram(std::string_view name, const Labels& match,
                                          std::uint64_t t0, std::uint64_t t1) const override;
  [[nodiscard]] std::map<std::string, HistogramWindow> histogram_by(
      std::string_view name, std::string_view label, const Labels& match, std::uint64_t t0,
      std::uint64_t t1) const override;
  // Gauges: latest, mean and max of the sum over the matching series at each sample.
  [[nodiscard]] GaugeWindow gauge(std::string_view name, const Labels& match, std::uint64_t t0,
                                  std::uint64_t t1) const override;
  [[nodiscard]] std::map<std::string, GaugeWindow> gauge_by(std::string_view name,
                                                            std::string_view label,
                                                            const Labels& match, std::uint64_t t0,
                                                            std::uint64_t t1) const override;
  // Values of `label` seen on series of `name`.
  [[nodiscard]] std::vector<std::string> label_values(std::string_view name,
                                                      std::string_view label) const;
  [[nodiscard]] bool has_series(std::string_view name) const;

  // Time of the newest sample (0 when empty) and of the oldest still kept.
  [[nodiscard]] std::uint64_t latest_time() const override;
  [[nodiscard]] std::uint64_t oldest_time() const override;
  [[nodiscard]] StoreStats stats() const;
  [[nodiscard]] const StoreOptions& options() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lumen::report
