// MeterProvider and Meter: where instruments are created and where their data is collected.
//
//   lumen::metrics::MeterProvider provider({.resource = lumen::Resource::from_environment(env)});
//   lumen::metrics::Meter& meter = provider.meter("checkout");
//   auto latency = meter.create_histogram("ai.request.duration", {.unit = "s"});
//   latency.record(0.182, {{"model", "gemini"}});
//   auto reg = meter.create_observable_gauge("queue.depth", [&](lumen::metrics::ObserverResult& r)
//   {
//     r.observe(queue.size());
//   });
//   lumen::metrics::MetricsSnapshot snap = provider.collect();   // for an exporter
//
// Instrument names follow the OpenTelemetry rule `[A-Za-z][A-Za-z0-9_.\-/]{0,254}`; a bad name,
// bad bucket boundaries, or the same name with a different kind throws lumen::Error at creation.
// Creating an instrument again with the same name and kind returns a handle to the same storage.
//
// Thread safety: creation, recording and collect() may run concurrently from any thread.
// Collections are serialized with each other; observable callbacks run on the collecting thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lumen/core/clock.hpp"
#include "lumen/core/resource.hpp"
#include "lumen/metrics/instruments.hpp"
#include "lumen/metrics/metric_data.hpp"

namespace lumen::metrics {

// Bucket upper bounds for request latencies in seconds (5 ms .. 10 s).
inline const std::vector<double>& default_latency_boundaries() {
  static const std::vector<double> kBounds{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25,
                                           0.5,   0.75, 1.0,   2.5,  5.0,   7.5, 10.0};
  return kBounds;
}

// Base-2 exponential bucketing (the OpenTelemetry "ExponentialHistogram"): bucket i at scale s
// holds values whose magnitude is in (2^(i*2^-s), 2^((i+1)*2^-s)], so every bucket is the same
// relative width and no boundaries have to be chosen. A series starts at max_scale (the finest
// buckets) and halves its resolution (scale - 1) whenever the values recorded so far would need
// more than max_size buckets of one sign. Zero has its own count; positive and negative values
// have their own buckets. Recording takes a small per-series lock, so it costs more than an
// explicit-bucket record (see bench/RESULTS.md); choose it when the range of values is unknown or
// spans many orders of magnitude.
//
//   auto size = meter.create_histogram("request.size", {.unit = "By",
//       .exponential = lumen::metrics::Base2Exponential{.max_size = 80}});
struct Base2Exponential {
  std::uint32_t max_size = 160;  // buckets per sign, at least 2
  std::int32_t max_scale = 20;   // -10 .. 20
};

struct InstrumentOptions {
  std::string description;
  std::string unit;  // UCUM: "s", "ms", "By", "1", ...
  // Histograms only; empty means default_latency_boundaries(). Strictly increasing, finite.
  std::vector<double> boundaries;
  // Histograms only: base-2 exponential buckets instead of explicit boundaries.
  std::optional<Base2Exponential> exponential;
};

// Changes what an instrument produces, matched by the instrument's exact name at creation.
struct View {
  std::string instrument_name;
  std::string rename;                                 // empty: keep the name
  std::optional<std::vector<std::string>> keep_keys;  // only these attribute keys are kept
  std::vector<std::string> drop_keys;                 // these attribute keys are dropped
  std::optional<std::vector<double>> boundaries;      // histograms: other explicit buckets
  std::optional<Base2Exponential> exponential;        // histograms: exponential buckets instead
};

enum class ExemplarFilter { kTraceBased, kAlwaysOn, kAlwaysOff };

struct MeterProviderOptions {
  Resource resource;
  const Clock* clock = nullptr;  // nullptr: the system clock
  // Distinct attribute sets per instrument; past it, measurements with a new set go to one
  // series with otel_metric_overflow="true".
  std::size_t cardinality_limit = 2000;
  ExemplarFilter exemplar_filter = ExemplarFilter::kTraceBased;
  std::vector<View> views;
  // false: every meter is a no-op (as Meter::noop): nothing is recorded, no callback runs and
  // collect() is empty. What OTEL_SDK_DISABLED=true gives a Runtime.
  bool enabled = true;
};

class MeterProviderState;

class Meter {
 public:
  template <typename T = std::int64_t>
  [[nodiscard]] Counter<T> create_counter(std::string_view name,
                                          const InstrumentOptions& opts = {});
  template <typename T = std::int64_t>
  [[nodiscard]] UpDownCounter<T> create_up_down_counter(std::string_view name,
                                                        const InstrumentOptions& opts = {});
  [[nodiscard]] Histogram create_histogram(std::string_view name,
                                           const InstrumentOptions& opts = {});

  [[nodiscard]] ObservableRegistration create_observable_counter(
      std::string_view name, ObservableCallback callback, const InstrumentOptions& opts = {});
  [[nodiscard]] ObservableRegistration create_observable_up_down_counter(
      std::string_view name, ObservableCallback callback, const InstrumentOptions& opts = {});
  [[nodiscard]] ObservableRegistration create_observable_gauge(std::string_view name,
                                                               ObservableCallback callback,
                                                               const InstrumentOptions& opts = {});

  [[nodiscard]] const std::string& name() const noexcept { return name_; }

  // A meter that belongs to no provider: its instruments record nothing anyone reads, its
  // callbacks are never called, and names are not checked. What lumen::global::meter() returns
  // while no Runtime is installed.
  [[nodiscard]] static Meter noop(std::string name = {});

 private:
  friend class MeterProviderState;
  Meter(MeterProviderState* provider, std::string name)
      : provider_(provider), name_(std::move(name)) {}
  detail::InstrumentState* instrument(std::string_view name, InstrumentKind kind, bool is_integer,
                                      const InstrumentOptions& opts);
  ObservableRegistration observable(std::string_view name, InstrumentKind kind,
                                    ObservableCallback callback, const InstrumentOptions& opts);
  MeterProviderState* provider_;
  std::string name_;
};

class MeterProvider {
 public:
  explicit MeterProvider(MeterProviderOptions options = {});
  ~MeterProvider();
  MeterProvider(const MeterProvider&) = delete;
  MeterProvider& operator=(const MeterProvider&) = delete;

  // The meter with this name (created on first use); the reference lives as long as the provider.
  Meter& meter(std::string_view name);

  // Cumulative values of every instrument, and the results of the observable callbacks.
  [[nodiscard]] MetricsSnapshot collect() const;

  [[nodiscard]] const Resource& resource() const noexcept;

 private:
  std::unique_ptr<MeterProviderState> state_;
};

// True when `name` is a valid OpenTelemetry instrument name.
[[nodiscard]] bool is_valid_instrument_name(std::string_view name) noexcept;

}  // namespace lumen::metrics
