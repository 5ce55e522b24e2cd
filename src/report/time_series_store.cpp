#include "lumen/report/time_series_store.hpp"
#include "lumen/core/internal/mutex.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <unordered_map>
#include <variant>

#include "report/exponential_layout.hpp"

namespace lumen::report {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

enum class SeriesKind : std::uint8_t { kCumulative, kGauge, kHistogram };

std::string label_text(const AttributeValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  return to_string(v);
}

struct Column {
  std::vector<double> raw;
  std::vector<double> coarse_last;
  std::vector<double> coarse_mean;  // gauges only
  std::vector<double> coarse_max;   // gauges only
  double acc_last = kNaN;
  double acc_sum = 0;
  double acc_max = kNaN;
  std::size_t acc_n = 0;
};

struct Series {
  std::string name;
  Labels labels;  // sorted by key
  SeriesKind kind = SeriesKind::kCumulative;
  std::vector<double> bounds;  // histograms
  std::size_t first_column = 0;
  std::size_t columns = 1;  // histogram: count, sum, one per bucket, then the largest value
  [[nodiscard]] std::size_t max_column() const noexcept { return first_column + columns - 1; }

  [[nodiscard]] bool matches(const Labels& match) const {
    // Not a structured binding: clang before 16 cannot capture one in a lambda.
    for (const auto& wanted : match) {
      const auto it = std::find_if(labels.begin(), labels.end(),
                                   [&](const auto& l) { return l.first == wanted.first; });
      if (it == labels.end() || it->second != wanted.second) return false;
    }
    return true;
  }
  [[nodiscard]] std::string label(std::string_view key) const {
    for (const auto& [k, v] : labels) {
      if (k == key) return v;
    }
    return {};
  }
};

// One sample position in the merged (coarse, then raw) view of a window.
struct Pos {
  bool coarse = false;
  std::size_t slot = 0;
  std::uint64_t ts = 0;
};

// Sum of the increases between consecutive known values (a drop is a reset: the new value counts
// in full). The first known value is the baseline.
double cumulative_increase(const std::vector<double>& values) {
  double total = 0;
  double prev = kNaN;
  for (double v : values) {
    if (std::isnan(v)) continue;
    if (!std::isnan(prev)) total += v >= prev ? v - prev : v;
    prev = v;
  }
  return total;
}

}  // namespace

struct TimeSeriesStore::Impl {
  StoreOptions opt;
  std::size_t raw_cap = 0;
  std::size_t coarse_cap = 0;
  mutable lumen::internal::Mutex mu;

  std::vector<std::uint64_t> raw_ts LUMEN_GUARDED_BY(mu);
  std::uint64_t raw_count LUMEN_GUARDED_BY(mu) = 0;
  std::vector<std::uint64_t> coarse_ts LUMEN_GUARDED_BY(mu);
  std::uint64_t coarse_count LUMEN_GUARDED_BY(mu) = 0;
  std::uint64_t minute LUMEN_GUARDED_BY(mu) = 0;
  bool minute_open LUMEN_GUARDED_BY(mu) = false;
  std::uint64_t minute_last_ts LUMEN_GUARDED_BY(mu) = 0;

  std::vector<Series> series LUMEN_GUARDED_BY(mu);
  std::vector<Column> columns LUMEN_GUARDED_BY(mu);
  std::vector<SeriesKind> column_kind LUMEN_GUARDED_BY(mu);
  // Name \x1f labels -> series.
  std::unordered_map<std::string, std::size_t> index LUMEN_GUARDED_BY(mu);
  // Exponential histograms by metric name; bounded like the series (a name is only kept once one
  // of its series was admitted).
  std::unordered_map<std::string, detail::ExponentialLayout> exponential_layouts
      LUMEN_GUARDED_BY(mu);
  std::uint64_t dropped_series LUMEN_GUARDED_BY(mu) = 0;

  explicit Impl(StoreOptions o) : opt(o) {
    const auto ratio = [](std::chrono::nanoseconds a, std::chrono::nanoseconds b) {
      return static_cast<std::size_t>(a.count() / std::max<std::int64_t>(1, b.count()));
    };
    raw_cap = std::max<std::size_t>(2, ratio(opt.raw_retention, opt.raw_interval) + 1);
    coarse_cap = std::max<std::size_t>(2, ratio(opt.retention, opt.coarse_interval));
    raw_ts.assign(raw_cap, 0);
    coarse_ts.assign(coarse_cap, 0);
  }

  std::uint64_t coarse_ns() const {
    return static_cast<std::uint64_t>(std::max<std::int64_t>(1, opt.coarse_interval.count()));
  }

  void flush_minute() LUMEN_REQUIRES(mu) {
    const std::size_t slot = coarse_count % coarse_cap;
    coarse_ts[slot] = minute_last_ts;
    for (std::size_t c = 0; c < columns.size(); ++c) {
      Column& col = columns[c];
      col.coarse_last[slot] = col.acc_last;
      if (column_kind[c] == SeriesKind::kGauge) {
        col.coarse_mean[slot] = col.acc_n > 0 ? col.acc_sum / static_cast<double>(col.acc_n) : kNaN;
        col.coarse_max[slot] = col.acc_max;
      }
      col.acc_last = kNaN;
      col.acc_sum = 0;
      col.acc_max = kNaN;
      col.acc_n = 0;
    }
    ++coarse_count;
  }

  // The series for (name, attributes), created when there is room; nullptr when dropped.
  Series* find_or_create(const metrics::MetricData& m, const Attributes& attrs, SeriesKind kind,
                         const std::vector<double>& bounds = {}) LUMEN_REQUIRES(mu) {
    Labels labels;
    labels.reserve(attrs.size());
    for (const Attribute& a : attrs) labels.emplace_back(a.key, label_text(a.value));
    std::sort(labels.begin(), labels.end());
    std::string key = m.name;
    for (const auto& [k, v] : labels) {
      key += '\x1f';
      key += k;
      key += '=';
      key += v;
    }
    if (const auto it = index.find(key); it != index.end()) return &series[it->second];
    const std::size_t ncols = kind == SeriesKind::kHistogram ? bounds.size() + 4 : 1;
    if (columns.size() + ncols > opt.max_columns) {
      ++dropped_series;
      return nullptr;
    }
    Series s;
    s.name = m.name;
    s.labels = std::move(labels);
    s.kind = kind;
    if (kind == SeriesKind::kHistogram) s.bounds = bounds;
    s.first_column = columns.size();
    s.columns = ncols;
    for (std::size_t i = 0; i < ncols; ++i) {
      Column col;
      col.raw.assign(raw_cap, kNaN);
      col.coarse_last.assign(coarse_cap, kNaN);
      if (kind == SeriesKind::kGauge) {
        col.coarse_mean.assign(coarse_cap, kNaN);
        col.coarse_max.assign(coarse_cap, kNaN);
      }
      // Created after an earlier sample in which it was absent: it counted from zero.
      if (raw_count > 0 && kind != SeriesKind::kGauge) col.raw[(raw_count - 1) % raw_cap] = 0;
      columns.push_back(std::move(col));
      column_kind.push_back(kind);
    }
    index.emplace(std::move(key), series.size());
    series.push_back(std::move(s));
    return &series.back();
  }

  void put(std::size_t column, std::size_t slot, double v) LUMEN_REQUIRES(mu) {
    columns[column].raw[slot] = v;
  }

  // `max`: the largest value recorded so far, NaN when the source does not say.
  void put_histogram(const Series& target, std::size_t slot, std::uint64_t count, double sum,
                     const std::vector<std::uint64_t>& bucket_counts, double max)
      LUMEN_REQUIRES(mu) {
    const std::size_t c0 = target.first_column;
    put(c0, slot, static_cast<double>(count));
    put(c0 + 1, slot, sum);
    put(target.max_column(), slot, max);
    const std::size_t buckets = target.columns - 3;
    for (std::size_t b = 0; b < buckets; ++b) {
      put(c0 + 2 + b, slot, b < bucket_counts.size() ? static_cast<double>(bucket_counts[b]) : 0.0);
    }
  }

  // The sample positions for (t0, t1], preceded by the baseline (the last one at or before t0)
  // when `baseline` is set.
  std::vector<Pos> positions(std::uint64_t t0, std::uint64_t t1, bool baseline) const
      LUMEN_REQUIRES(mu) {
    std::vector<Pos> out;
    const std::uint64_t raw_first = raw_count > raw_cap ? raw_count - raw_cap : 0;
    const std::uint64_t oldest_raw = raw_count > 0 ? raw_ts[raw_first % raw_cap] : 0;
    // Timestamps arrive in increasing order (minute points, then raw samples), so the baseline is
    // the last position at or before t0: it overwrites its predecessor at the front.
    const auto visit = [&](bool coarse, std::size_t slot, std::uint64_t ts) {
      if (ts <= t0) {
        if (!baseline) return;
        if (out.empty()) {
          out.push_back({coarse, slot, ts});
        } else {
          out.back() = {coarse, slot, ts};
        }
      } else if (ts <= t1) {
        out.push_back({coarse, slot, ts});
      }
    };
    if (raw_count > 0 && t0 < oldest_raw) {
      const std::uint64_t first = coarse_count > coarse_cap ? coarse_count - coarse_cap : 0;
      for (std::uint64_t i = first; i < coarse_count; ++i) {
        const std::size_t slot = i % coarse_cap;
        if (coarse_ts[slot] >= oldest_raw) break;
        visit(true, slot, coarse_ts[slot]);
      }
    }
    for (std::uint64_t i = raw_first; i < raw_count; ++i) {
      const std::size_t slot = i % raw_cap;
      visit(false, slot, raw_ts[slot]);
    }
    return out;
  }

  double value(std::size_t column, const Pos& p) const LUMEN_REQUIRES(mu) {
    const Column& c = columns[column];
    return p.coarse ? c.coarse_last[p.slot] : c.raw[p.slot];
  }

  double column_increase(std::size_t column, const std::vector<Pos>& pos) const LUMEN_REQUIRES(mu) {
    std::vector<double> values;
    values.reserve(pos.size());
    for (const Pos& p : pos) values.push_back(value(column, p));
    return cumulative_increase(values);
  }

  // Unchecked inside: the callbacks require the mutex by their caller's name for it (s.mu), which
  // the analysis cannot equate with `mu`. Its callers are checked.
  template <typename F>
  void for_matching(std::string_view name, const Labels& match, F&& f) const
      LUMEN_REQUIRES(mu) LUMEN_NO_THREAD_SAFETY_ANALYSIS {
    for (const Series& s : series) {
      if (s.name == name && s.matches(match)) f(s);
    }
  }

  double series_increase(const Series& s, const std::vector<Pos>& pos) const LUMEN_REQUIRES(mu) {
    // A histogram's count column answers increase() too.
    return column_increase(s.first_column, pos);
  }

  void add_histogram(const Series& s, const std::vector<Pos>& pos, HistogramWindow& h) const
      LUMEN_REQUIRES(mu) {
    if (s.kind != SeriesKind::kHistogram) return;
    const bool merged = h.count > 0;  // an earlier series already counted values in the window
    if (h.bounds.empty()) {
      h.bounds = s.bounds;
      h.bucket_counts.assign(s.bounds.size() + 1, 0.0);
    }
    if (h.bounds != s.bounds) return;  // other buckets (a view changed): not mergeable
    const double count = column_increase(s.first_column, pos);
    h.count += count;
    h.sum += column_increase(s.first_column + 1, pos);
    for (std::size_t b = 0; b < h.bucket_counts.size(); ++b) {
      h.bucket_counts[b] += column_increase(s.first_column + 2 + b, pos);
    }
    if (count > 0) h.max = merged ? std::max(h.max, largest_up_to(s, pos)) : largest_up_to(s, pos);
  }

  // A bound on every value the series counted in the window: the largest value recorded up to its
  // end. Taken over the whole window rather than at its end, in case the process restarted in it.
  // Infinity when the source never said.
  double largest_up_to(const Series& s, const std::vector<Pos>& pos) const LUMEN_REQUIRES(mu) {
    double largest = kNaN;
    for (const Pos& p : pos) {
      const double v = value(s.max_column(), p);
      if (!std::isnan(v) && !(v <= largest)) largest = v;
    }
    return std::isnan(largest) ? std::numeric_limits<double>::infinity() : largest;
  }

  GaugeWindow gauge_of(const std::vector<const Series*>& list, const std::vector<Pos>& pos) const
      LUMEN_REQUIRES(mu) {
    GaugeWindow g;
    double weighted = 0;
    double weights = 0;
    const double coarse_weight =
        static_cast<double>(opt.coarse_interval.count()) /
        static_cast<double>(std::max<std::int64_t>(1, opt.raw_interval.count()));
    for (const Pos& p : pos) {
      double last = 0;
      double mean = 0;
      double mx = 0;
      bool any = false;
      for (const Series* s : list) {
        const Column& c = columns[s->first_column];
        const double v = p.coarse ? c.coarse_last[p.slot] : c.raw[p.slot];
        if (std::isnan(v)) continue;
        any = true;
        last += v;
        mean += p.coarse ? c.coarse_mean[p.slot] : v;
        mx += p.coarse ? c.coarse_max[p.slot] : v;
      }
      if (!any) continue;
      const double w = p.coarse ? coarse_weight : 1.0;
      if (g.samples == 0 || mx > g.max) g.max = mx;
      if (g.samples == 0) {
        g.first = last;
        g.first_time = p.ts;
      }
      g.latest = last;
      g.latest_time = p.ts;
      weighted += mean * w;
      weights += w;
      ++g.samples;
    }
    if (weights > 0) g.mean = weighted / weights;
    return g;
  }
};

TimeSeriesStore::TimeSeriesStore(StoreOptions options) : impl_(std::make_unique<Impl>(options)) {}
TimeSeriesStore::~TimeSeriesStore() = default;

const StoreOptions& TimeSeriesStore::options() const noexcept {
  return impl_->opt;
}

bool TimeSeriesStore::record(const metrics::MetricsSnapshot& snapshot, std::uint64_t time_ns) {
  Impl& s = *impl_;
  lumen::internal::MutexLock lock(s.mu);
  if (s.raw_count > 0 && time_ns <= s.raw_ts[(s.raw_count - 1) % s.raw_cap]) return false;
  const std::uint64_t minute = time_ns / s.coarse_ns();
  if (s.minute_open && minute != s.minute) s.flush_minute();
  s.minute = minute;
  s.minute_open = true;
  s.minute_last_ts = time_ns;

  const std::size_t slot = s.raw_count % s.raw_cap;
  s.raw_ts[slot] = time_ns;
  for (Column& c : s.columns) c.raw[slot] = kNaN;
  for (const metrics::MetricData& m : snapshot.metrics) {
    if (m.type == metrics::MetricType::kHistogram) {
      for (const metrics::HistogramPoint& p : m.histogram_points) {
        Series* series = s.find_or_create(m, p.attributes, SeriesKind::kHistogram, m.bounds);
        if (series != nullptr) {
          s.put_histogram(*series, slot, p.count, p.sum, p.bucket_counts, p.max.value_or(kNaN));
        }
      }
      continue;
    }
    if (m.type == metrics::MetricType::kExponentialHistogram) {
      for (const metrics::ExponentialHistogramPoint& p : m.exponential_points) {
        auto layout = s.exponential_layouts.find(m.name);
        // Bounds are chosen from values: an empty point waits (its series then counts from zero).
        if (layout == s.exponential_layouts.end() && p.count == 0) continue;
        const detail::ExponentialLayout chosen = layout != s.exponential_layouts.end()
                                                     ? layout->second
                                                     : detail::ExponentialLayout::for_point(p);
        Series* series = s.find_or_create(m, p.attributes, SeriesKind::kHistogram, chosen.bounds());
        if (series == nullptr) continue;
        if (layout == s.exponential_layouts.end()) s.exponential_layouts.emplace(m.name, chosen);
        s.put_histogram(*series, slot, p.count, p.sum, chosen.counts(p), p.max.value_or(kNaN));
      }
      continue;
    }
    const SeriesKind kind =
        m.type == metrics::MetricType::kMonotonicSum ? SeriesKind::kCumulative : SeriesKind::kGauge;
    for (const metrics::NumberPoint& p : m.number_points) {
      Series* series = s.find_or_create(m, p.attributes, kind);
      if (series == nullptr) continue;
      s.put(series->first_column, slot, p.value);
    }
  }
  for (Column& c : s.columns) {
    const double v = c.raw[slot];
    if (std::isnan(v)) continue;
    c.acc_last = v;
    c.acc_sum += v;
    c.acc_max = std::isnan(c.acc_max) ? v : std::max(c.acc_max, v);
    ++c.acc_n;
  }
  ++s.raw_count;
  return true;
}

double TimeSeriesStore::increase(std::string_view name, const Labels& match, std::uint64_t t0,
                                 std::uint64_t t1) const {
  const Impl& s = *impl_;
  lumen::internal::MutexLock lock(s.mu);
  const auto pos = s.positions(t0, t1, true);
  double total = 0;
  s.for_matching(name, match, [&](const Series& ser) LUMEN_REQUIRES(s.mu) {
    if (ser.kind != SeriesKind::kGauge) total += s.series_increase(ser, pos);
  });
  return total;
}

double TimeSeriesStore::rate(std::string_view name, const Labels& match, std::uint64_t t0,
                             std::uint64_t t1) const {
  if (t1 <= t0) return 0;
  return increase(name, match, t0, t1) / (static_cast<double>(t1 - t0) / 1e9);
}

std::map<std::string, double> TimeSeriesStore::increase_by(std::string_view name,
                                                           std::string_view label,
                                                           const Labels& match, std::uint64_t t0,
                                                           std::uint64_t t1) const {
  const Impl& s = *impl_;
  lumen::internal::MutexLock lock(s.mu);
  const auto pos = s.positions(t0, t1, true);
  std::map<std::string, double> out;
  s.for_matching(name, match, [&](const Series& ser) LUMEN_REQUIRES(s.mu) {
    if (ser.kind != SeriesKind::kGauge) out[ser.label(label)] += s.series_increase(ser, pos);
  });
  return out;
}

HistogramWindow TimeSeriesStore::histogram(std::string_view name, const Labels& match,
                                           std::uint64_t t0, std::uint64_t t1) const {
  const Impl& s = *impl_;
  lumen::internal::MutexLock lock(s.mu);
  const auto pos = s.positions(t0, t1, true);
  HistogramWindow h;
  s.for_matching(name, match,
                 [&](const Series& ser) LUMEN_REQUIRES(s.mu) { s.add_histogram(ser, pos, h); });
  return h;
}

std::map<std::string, HistogramWindow> TimeSeriesStore::histogram_by(std::string_view name,
                                                                     std::string_view label,
                                                                     const Labels& match,
                                                                     std::uint64_t t0,
                                                                     std::uint64_t t1) const {
  const Impl& s = *impl_;
  lumen::internal::MutexLock lock(s.mu);
  const auto pos = s.positions(t0, t1, true);
  std::map<std::string, HistogramWindow> out;
  s.for_matching(name, match, [&](const Series& ser) LUMEN_REQUIRES(s.mu) {
    s.add_histogram(ser, pos, out[ser.label(label)]);
  });
  return out;
}

GaugeWindow TimeSeriesStore::gauge(std::string_view name, const Labels& match, std::uint64_t t0,
                                   std::uint64_t t1) const {
  const Impl& s = *impl_;
  lumen::internal::MutexLock lock(s.mu);
  const auto pos = s.positions(t0, t1, false);
  std::vector<const Series*> list;
  s.for_matching(name, match, [&](const Series& ser) LUMEN_REQUIRES(s.mu) {
    if (ser.kind != SeriesKind::kHistogram) list.push_back(&ser);
  });
  return s.gauge_of(list, pos);
}

std::map<std::string, GaugeWindow> TimeSeriesStore::gauge_by(std::string_view name,
                                                             std::string_view label,
                                                             const Labels& match, std::uint64_t t0,
                                                             std::uint64_t t1) const {
  const Impl& s = *impl_;
  lumen::internal::MutexLock lock(s.mu);
  const auto pos = s.positions(t0, t1, false);
  std::map<std::string, std::vector<const Series*>> groups;
  s.for_matching(name, match, [&](const Series& ser) LUMEN_REQUIRES(s.mu) {
    if (ser.kind != SeriesKind::kHistogram) groups[ser.label(label)].push_back(&ser);
  });
  std::map<std::string, GaugeWindow> out;
  for (const auto& [k, list] : groups) out[k] = s.gauge_of(list, pos);
  return out;
}

std::vector<std::string> TimeSeriesStore::label_values(std::string_view name,
                                                       std::string_view label) const {
  const Impl& s = *impl_;
  lumen::internal::MutexLock lock(s.mu);
  std::vector<std::string> out;
  for (const Series& ser : s.series) {
    if (ser.name != name) continue;
    std::string v = ser.label(label);
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(std::move(v));
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool TimeSeriesStore::has_series(std::string_view name) const {
  const Impl& s = *impl_;
  lumen::internal::MutexLock lock(s.mu);
  return std::any_of(s.series.begin(), s.series.end(),
                     [&](const Series& ser) LUMEN_REQUIRES(s.mu) { return ser.name == name; });
}

std::uint64_t TimeSeriesStore::latest_time() const {
  const Impl& s = *impl_;
  lumen::internal::MutexLock lock(s.mu);
  return s.raw_count == 0 ? 0 : s.raw_ts[(s.raw_count - 1) % s.raw_cap];
}

std::uint64_t TimeSeriesStore::oldest_time() const {
  const Impl& s = *impl_;
  lumen::internal::MutexLock lock(s.mu);
  if (s.raw_count == 0) return 0;
  const std::uint64_t raw_first = s.raw_count > s.raw_cap ? s.raw_count - s.raw_cap : 0;
  std::uint64_t oldest = s.raw_ts[raw_first % s.raw_cap];
  if (s.coarse_count > 0) {
    const std::uint64_t first = s.coarse_count > s.coarse_cap ? s.coarse_count - s.coarse_cap : 0;
    oldest = std::min(oldest, s.coarse_ts[first % s.coarse_cap]);
  }
  return oldest;
}

StoreStats TimeSeriesStore::stats() const {
  const Impl& s = *impl_;
  lumen::internal::MutexLock lock(s.mu);
  StoreStats st;
  st.series = s.series.size();
  st.columns = s.columns.size();
  st.dropped_series = s.dropped_series;
  st.samples = s.raw_count;
  std::size_t bytes = (s.raw_ts.size() + s.coarse_ts.size()) * sizeof(std::uint64_t);
  for (const Column& c : s.columns) {
    bytes += (c.raw.capacity() + c.coarse_last.capacity() + c.coarse_mean.capacity() +
              c.coarse_max.capacity()) *
                 sizeof(double) +
             sizeof(Column);
  }
  st.memory_bytes = bytes;
  return st;
}

}  // namespace lumen::report
