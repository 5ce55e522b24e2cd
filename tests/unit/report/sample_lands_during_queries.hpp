// A MetricsSource over a TimeSeriesStore that runs `land` (once) right after the first
// increase_by query: what the dashboard's sampler does when it stamps a sample, then collects and
// records it while a reader is making a report or a page from the same store.
#pragma once

#include <functional>
#include <utility>

#include "lumen/report/time_series_store.hpp"

namespace lumen::testing {

class SampleLandsDuringQueries final : public report::MetricsSource {
 public:
  SampleLandsDuringQueries(const report::TimeSeriesStore& store, std::function<void()> land)
      : store_(store), land_(std::move(land)) {}

  double increase(std::string_view n, const report::Labels& m, std::uint64_t t0,
                  std::uint64_t t1) const override {
    return store_.increase(n, m, t0, t1);
  }
  std::map<std::string, double> increase_by(std::string_view n, std::string_view l,
                                            const report::Labels& m, std::uint64_t t0,
                                            std::uint64_t t1) const override {
    auto out = store_.increase_by(n, l, m, t0, t1);
    if (land_) std::exchange(land_, nullptr)();
    return out;
  }
  report::HistogramWindow histogram(std::string_view n, const report::Labels& m, std::uint64_t t0,
                                    std::uint64_t t1) const override {
    return store_.histogram(n, m, t0, t1);
  }
  std::map<std::string, report::HistogramWindow> histogram_by(std::string_view n,
                                                              std::string_view l,
                                                              const report::Labels& m,
                                                              std::uint64_t t0,
                                                              std::uint64_t t1) const override {
    return store_.histogram_by(n, l, m, t0, t1);
  }
  report::GaugeWindow gauge(std::string_view n, const report::Labels& m, std::uint64_t t0,
                            std::uint64_t t1) const override {
    return store_.gauge(n, m, t0, t1);
  }
  std::map<std::string, report::GaugeWindow> gauge_by(std::string_view n, std::string_view l,
                                                      const report::Labels& m, std::uint64_t t0,
                                                      std::uint64_t t1) const override {
    return store_.gauge_by(n, l, m, t0, t1);
  }
  std::uint64_t latest_time() const override { return store_.latest_time(); }
  std::uint64_t oldest_time() const override { return store_.oldest_time(); }

 private:
  const report::TimeSeriesStore& store_;
  mutable std::function<void()> land_;
};

}  // namespace lumen::testing
