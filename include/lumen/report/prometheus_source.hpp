// PrometheusSource: the report's windowed queries answered by a Prometheus server's HTTP API
// (PromQL), for a fleet of instances scraped by one Prometheus instead of one process's embedded
// store. Chosen with PROMETHEUS_URL.
//
//   lumen::report::PrometheusSource prom({.url = "http://127.0.0.1:9090",
//                                         .names = report_options.profile.prometheus_names});
//   lumen::report::ReportGenerator gen(prom, report_options);
//   lumen::report::Report r = gen.generate(lumen::report::Period::k1h, clock.wall_ns());
//
// Instrument names map to the exposed Prometheus names through `names` (the ReportProfile's, e.g.
// http.server.request.duration -> http_server_request_duration_seconds_bucket/_sum/_count);
// counters use `sum(increase(x[w]))`, whose edge extrapolation makes small windows differ slightly
// from the embedded store's exact differences. A failed query (server down, bad answer) counts as
// no data and is counted in errors(); the report never throws because of it. Thread safety: every
// method may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "lumen/export/http_transport.hpp"
#include "lumen/report/time_series_store.hpp"

namespace lumen::report {

struct PrometheusSourceOptions {
  std::string url;  // PROMETHEUS_URL, e.g. http://prometheus:9090
  std::chrono::milliseconds timeout{5000};
  std::chrono::seconds gauge_step{10};  // subquery resolution for gauge mean/max
  std::string selector;                 // extra label matchers for every query, e.g. job="checkout"
  // Instrument -> exposed name (ReportProfile::prometheus_names). lumen's own instruments are
  // known; other names not listed have every character but letters and digits turned into '_'.
  std::map<std::string, std::string, std::less<>> names;
  // Where the queries go; nullptr: libcurl (pooled, so concurrent queries do not wait for each
  // other). A test hands an InMemoryTransport that answers as Prometheus would.
  std::shared_ptr<exporters::HttpTransport> transport;
};

class PrometheusSource final : public MetricsSource {
 public:
  explicit PrometheusSource(PrometheusSourceOptions options);

  double increase(std::string_view name, const Labels& match, std::uint64_t t0,
                  std::uint64_t t1) const override;
  std::map<std::string, double> increase_by(std::string_view name, std::string_view label,
                                            const Labels& match, std::uint64_t t0,
                                            std::uint64_t t1) const override;
  HistogramWindow histogram(std::string_view name, const Labels& match, std::uint64_t t0,
                            std::uint64_t t1) const override;
  std::map<std::string, HistogramWindow> histogram_by(std::string_view name, std::string_view label,
                                                      const Labels& match, std::uint64_t t0,
                                                      std::uint64_t t1) const override;
  GaugeWindow gauge(std::string_view name, const Labels& match, std::uint64_t t0,
                    std::uint64_t t1) const override;
  std::map<std::string, GaugeWindow> gauge_by(std::string_view name, std::string_view label,
                                              const Labels& match, std::uint64_t t0,
                                              std::uint64_t t1) const override;
  // Prometheus keeps what its retention allows; the source claims the last 24 h up to now.
  std::uint64_t latest_time() const override;
  std::uint64_t oldest_time() const override;

  // Queries that failed (no answer, HTTP error, not a vector).
  [[nodiscard]] std::uint64_t errors() const noexcept { return errors_.load(); }

  // The exposed Prometheus name of an instrument (without _bucket/_sum/_count).
  [[nodiscard]] std::string prometheus_metric(std::string_view instrument) const;

 private:
  struct Sample {
    std::map<std::string, std::string> labels;
    double value = 0;
  };
  std::vector<Sample> query(const std::string& promql, std::uint64_t time_ns) const;
  std::string selector(const Labels& match) const;
  std::string counter_name(std::string_view instrument) const;  // with the _total suffix

  PrometheusSourceOptions opt_;
  mutable std::atomic<std::uint64_t> errors_{0};
};

}  // namespace lumen::report
