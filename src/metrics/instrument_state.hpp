// Internal: one instrument's storage. Attribute sets map to series through an open-addressing
// table that readers probe without a lock; inserts (the first measurement of a new attribute set)
// take the instrument's mutex and publish with release stores. A table that fills up is replaced
// by one twice its size; retired tables are kept until the instrument dies, so a reader that still
// probes one is safe. Series are never removed (cumulative temporality).
#pragma once

#include <atomic>
#include <bit>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "lumen/core/clock.hpp"
#include "lumen/core/internal/mutex.hpp"
#include "lumen/core/internal/short_bytes.hpp"
#include "lumen/metrics/instruments.hpp"
#include "lumen/metrics/meter.hpp"
#include "lumen/metrics/metric_data.hpp"

namespace lumen::metrics::detail {

struct StoredAttr {
  std::string key;
  AttrValue::Type type = AttrValue::Type::kString;
  std::string str;
  std::int64_t i = 0;
  double d = 0;
};

inline bool same_value(const StoredAttr& s, const AttrValue& v) noexcept {
  if (s.type != v.type()) return false;
  switch (v.type()) {
    case AttrValue::Type::kString:
      return lumen::detail::same_bytes(s.str, v.as_string());
    case AttrValue::Type::kBool:
    case AttrValue::Type::kInt:
      return s.i == v.as_int();
    case AttrValue::Type::kDouble:
      return std::bit_cast<std::uint64_t>(s.d) == std::bit_cast<std::uint64_t>(v.as_double());
  }
  return false;
}

struct Series {
  std::uint64_t hash = 0;
  std::vector<StoredAttr> attrs;  // sorted by key, unique keys
  std::unique_ptr<SumCell> sum;
  std::unique_ptr<HistogramCell> histogram;
};

struct InstrumentConfig {
  std::string name;  // after a view's rename
  std::string description;
  std::string unit;
  std::string scope;
  InstrumentKind kind = InstrumentKind::kCounter;
  bool is_integer = true;
  std::vector<double> bounds;
  std::optional<Base2Exponential> exponential;  // histograms: set for exponential buckets
  std::size_t cardinality_limit = 2000;
  std::optional<std::vector<std::string>> keep_keys;
  std::vector<std::string> drop_keys;
  const Clock* clock = nullptr;
  bool exemplars = true;
  bool exemplar_every_measurement = false;  // the always_on filter
};

// Call-site attributes, filtered by the view, sorted by key, deduplicated (the last value of a
// repeated key wins), and hashed. Lives on the stack of one measurement.
class CanonicalAttrs {
 public:
  CanonicalAttrs(const InstrumentConfig& config, const KeyValue* attrs, std::size_t n);
  [[nodiscard]] std::uint64_t hash() const noexcept { return hash_; }
  [[nodiscard]] std::size_t size() const noexcept { return n_; }
  [[nodiscard]] const KeyValue& operator[](std::size_t i) const noexcept { return *items_[i]; }
  [[nodiscard]] bool matches(const std::vector<StoredAttr>& stored) const noexcept;
  [[nodiscard]] std::vector<StoredAttr> store() const;

 private:
  static constexpr std::size_t kInline = 16;
  const KeyValue* inline_[kInline];
  std::vector<const KeyValue*> heap_;
  const KeyValue** items_ = inline_;
  std::size_t n_ = 0;
  std::uint64_t hash_ = 0;
};

class InstrumentState {
 public:
  InstrumentState(InstrumentConfig config, std::uint64_t start_time_ns);
  ~InstrumentState();

  [[nodiscard]] const InstrumentConfig& config() const noexcept { return config_; }
  [[nodiscard]] bool is_observable() const noexcept;

  Series* find_or_create(const KeyValue* attrs, std::size_t n) noexcept;

  std::uint64_t add_callback(ObservableCallback callback);
  void remove_callback(std::uint64_t id) noexcept;

  // Appends this instrument's data to `out`; false when it has no points to report.
  bool collect(MetricData& out, std::uint64_t now_ns);

 private:
  friend class lumen::metrics::ObserverResult;
  struct Table {
    explicit Table(std::size_t capacity);
    std::size_t mask;
    std::unique_ptr<std::atomic<Series*>[]> slots;
  };

  std::unique_ptr<Series> make_series(std::vector<StoredAttr> attrs, std::uint64_t hash) const;
  Series* insert_slow(const CanonicalAttrs& canon);
  static void insert_into(Table& table, Series* series) noexcept;
  void observe(double value, std::int64_t int_value, bool is_int, const KeyValue* attrs,
               std::size_t n);
  static Attributes to_attributes(const std::vector<StoredAttr>& attrs);
  static std::vector<StoredAttr> overflow_attrs_for_observations();

  InstrumentConfig config_;
  std::uint64_t start_time_ns_;
  const std::uint64_t id_;  // process-unique: names this instrument in threads' series caches

  std::atomic<Table*> table_{nullptr};
  std::atomic<bool> full_{false};
  std::atomic<std::uint64_t> overflowed_{0};
  std::atomic<bool> overflow_used_{false};
  std::unique_ptr<Series> overflow_;

  lumen::internal::Mutex mu_;  // inserts and collection
  std::vector<std::unique_ptr<Table>> tables_ LUMEN_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Series>> series_ LUMEN_GUARDED_BY(mu_);

  // Observable instruments.
  lumen::internal::Mutex callbacks_mu_;
  std::map<std::uint64_t, ObservableCallback> callbacks_ LUMEN_GUARDED_BY(callbacks_mu_);
  std::uint64_t next_callback_id_ LUMEN_GUARDED_BY(callbacks_mu_) = 1;
  struct Observation {
    std::uint64_t hash;
    std::vector<StoredAttr> attrs;
    NumberPoint point;
    bool is_int;
  };
  std::vector<Observation>* observations_ = nullptr;  // set while callbacks run
};

}  // namespace lumen::metrics::detail
