// Instruments: Counter, UpDownCounter, Histogram, their bound handles, and the observable
// (callback) instruments' result type. Instruments are small handles created by a Meter; the
// storage they update belongs to the MeterProvider, which must outlive them.
//
//   auto requests = meter.create_counter<std::int64_t>("ai.requests", {.description = "AI calls"});
//   requests.add(1, {{"model", model}, {"success", "true"}});   // attributes at the call site
//   auto hot = requests.bind({{"model", "gemini"}});           // resolved once
//   for (...) hot.add(1);                                       // no lookup, no lock, no
//   allocation
//
// Thread safety: every method may be called from any thread. Recording never throws and never
// blocks on another recording thread. Negative values given to a Counter are ignored.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "lumen/metrics/internal/cells.hpp"

namespace lumen::metrics {

// A call-site attribute value. It views the caller's string rather than copying it: a measurement
// copies attribute data only the first time a new attribute set is seen.
class AttrValue {
 public:
  enum class Type : std::uint8_t { kString, kBool, kInt, kDouble };

  AttrValue(std::string_view v) noexcept : type_(Type::kString), str_(v) {}    // NOLINT: implicit
  AttrValue(const char* v) noexcept : type_(Type::kString), str_(v) {}         // NOLINT
  AttrValue(const std::string& v) noexcept : type_(Type::kString), str_(v) {}  // NOLINT
  AttrValue(bool v) noexcept : type_(Type::kBool), int_(v ? 1 : 0) {}          // NOLINT
  template <std::integral I>
  requires(!std::same_as<I, bool>) AttrValue(I v)
  noexcept : type_(Type::kInt), int_(static_cast<std::int64_t>(v)) {}  // NOLINT
  template <std::floating_point F>
  AttrValue(F v) noexcept : type_(Type::kDouble), double_(static_cast<double>(v)) {}  // NOLINT

  [[nodiscard]] Type type() const noexcept { return type_; }
  // Each accessor is valid for its own type only (as_int for kInt and kBool).
  [[nodiscard]] std::string_view as_string() const noexcept { return str_; }
  [[nodiscard]] std::int64_t as_int() const noexcept { return int_; }
  [[nodiscard]] bool as_bool() const noexcept { return int_ != 0; }
  [[nodiscard]] double as_double() const noexcept { return double_; }

 private:
  Type type_;
  // One of these, by type_: three attributes at a call site then fit in a few cache lines.
  union {
    std::string_view str_;
    std::int64_t int_;
    double double_;
  };
};

struct KeyValue {
  std::string_view key;
  AttrValue value;
};

using AttributeList = std::initializer_list<KeyValue>;

namespace detail {
class InstrumentState;
// Find (or create, up to the cardinality limit) the series of an attribute set. Never null: past
// the limit they return the overflow series.
SumCell* sum_cell(InstrumentState* state, const KeyValue* attrs, std::size_t n) noexcept;
HistogramCell* histogram_cell(InstrumentState* state, const KeyValue* attrs,
                              std::size_t n) noexcept;
}  // namespace detail

// A Counter or UpDownCounter resolved to one attribute set.
template <typename T, bool kMonotonic>
class BoundSum {
 public:
  void add(T value) const noexcept {
    if constexpr (kMonotonic) {
      if (!(value >= 0)) return;
    }
    cell_->add(value);
  }

 private:
  template <typename, bool>
  friend class SumInstrument;
  explicit BoundSum(detail::SumCell* cell) noexcept : cell_(cell) {}
  detail::SumCell* cell_;
};

template <typename T, bool kMonotonic>
class SumInstrument {
  static_assert(std::same_as<T, std::int64_t> || std::same_as<T, double>,
                "counters count std::int64_t or double");

 public:
  void add(T value, AttributeList attrs = {}) const noexcept {
    add(value, attrs.begin(), attrs.size());
  }
  void add(T value, const std::vector<KeyValue>& attrs) const noexcept {
    add(value, attrs.data(), attrs.size());
  }
  [[nodiscard]] BoundSum<T, kMonotonic> bind(AttributeList attrs = {}) const noexcept {
    return BoundSum<T, kMonotonic>(detail::sum_cell(state_, attrs.begin(), attrs.size()));
  }

 private:
  friend class Meter;
  explicit SumInstrument(detail::InstrumentState* state) noexcept : state_(state) {}
  void add(T value, const KeyValue* attrs, std::size_t n) const noexcept {
    if constexpr (kMonotonic) {
      if (!(value >= 0)) return;
    }
    detail::sum_cell(state_, attrs, n)->add(value);
  }
  detail::InstrumentState* state_;
};

template <typename T>
using Counter = SumInstrument<T, true>;
template <typename T>
using UpDownCounter = SumInstrument<T, false>;
template <typename T>
using BoundCounter = BoundSum<T, true>;
template <typename T>
using BoundUpDownCounter = BoundSum<T, false>;

class BoundHistogram {
 public:
  void record(double value) const noexcept { cell_->record(value); }

 private:
  friend class Histogram;
  explicit BoundHistogram(detail::HistogramCell* cell) noexcept : cell_(cell) {}
  detail::HistogramCell* cell_;
};

// Explicit-bucket histogram. Bucket i counts values in (bounds[i-1], bounds[i]]; the last bucket
// is (bounds.back(), +Inf].
class Histogram {
 public:
  void record(double value, AttributeList attrs = {}) const noexcept {
    detail::histogram_cell(state_, attrs.begin(), attrs.size())->record(value);
  }
  void record(double value, const std::vector<KeyValue>& attrs) const noexcept {
    detail::histogram_cell(state_, attrs.data(), attrs.size())->record(value);
  }
  [[nodiscard]] BoundHistogram bind(AttributeList attrs = {}) const noexcept {
    return BoundHistogram(detail::histogram_cell(state_, attrs.begin(), attrs.size()));
  }

 private:
  friend class Meter;
  explicit Histogram(detail::InstrumentState* state) noexcept : state_(state) {}
  detail::InstrumentState* state_;
};

// What an observable instrument's callback reports into, once per collection. Observing the same
// attribute set twice keeps the last value.
class ObserverResult {
 public:
  template <std::integral I>
  requires(!std::same_as<I, bool>) void observe(I value, AttributeList attrs = {}) {
    observe_int(static_cast<std::int64_t>(value), attrs.begin(), attrs.size());
  }
  void observe(double value, AttributeList attrs = {}) {
    observe_double(value, attrs.begin(), attrs.size());
  }

 private:
  friend class detail::InstrumentState;
  explicit ObserverResult(detail::InstrumentState* state) noexcept : state_(state) {}
  void observe_int(std::int64_t value, const KeyValue* attrs, std::size_t n);
  void observe_double(double value, const KeyValue* attrs, std::size_t n);
  detail::InstrumentState* state_;
};

using ObservableCallback = std::function<void(ObserverResult&)>;

// Keeps an observable instrument's callback registered; destroying it (or calling reset())
// unregisters the callback, after which it is never called again. Must not outlive the provider.
class ObservableRegistration {
 public:
  ObservableRegistration() = default;
  ObservableRegistration(ObservableRegistration&& other) noexcept;
  ObservableRegistration& operator=(ObservableRegistration&& other) noexcept;
  ObservableRegistration(const ObservableRegistration&) = delete;
  ObservableRegistration& operator=(const ObservableRegistration&) = delete;
  ~ObservableRegistration() { reset(); }
  void reset() noexcept;

 private:
  friend class Meter;
  ObservableRegistration(detail::InstrumentState* state, std::uint64_t id) noexcept
      : state_(state), id_(id) {}
  detail::InstrumentState* state_ = nullptr;
  std::uint64_t id_ = 0;
};

}  // namespace lumen::metrics
