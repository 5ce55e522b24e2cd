// The report's, the alerts' and the dashboard's figures read through a ReportProfile: one place
// that turns "requests", "failures" or "cost" into queries on the profile's instruments, so the
// three cannot disagree. An instrument the profile leaves empty answers as no data, without a query
// (a PrometheusSource would count a malformed query as an error).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "lumen/report/report_profile.hpp"
#include "lumen/report/time_series_store.hpp"

namespace lumen::report::detail {

class ProfiledQueries {
 public:
  ProfiledQueries(const MetricsSource& source, const ReportProfile& profile)
      : s_(source), p_(profile) {}

  [[nodiscard]] const ReportMetrics& names() const noexcept { return p_.metrics; }
  [[nodiscard]] const PricingTable& pricing() const noexcept { return p_.pricing; }

  // Requests and failed requests, by group_label or in total (see ReportMetrics::requests).
  [[nodiscard]] std::map<std::string, double> requests_by_group(std::uint64_t t0,
                                                                std::uint64_t t1) const;
  [[nodiscard]] std::map<std::string, double> failures_by_group(std::uint64_t t0,
                                                                std::uint64_t t1) const;
  [[nodiscard]] double requests(std::uint64_t t0, std::uint64_t t1) const;
  [[nodiscard]] double failures(std::uint64_t t0, std::uint64_t t1) const;
  // Input, output and undirected priced units by group.
  [[nodiscard]] std::map<std::string, double> units_by_group(std::string_view direction,
                                                             std::uint64_t t0,
                                                             std::uint64_t t1) const;
  [[nodiscard]] std::map<std::string, double> undirected_units_by_group(std::uint64_t t0,
                                                                        std::uint64_t t1) const;
  // USD by group: directed units at their price, and undirected units beyond what the directed
  // ones explain at the mean price (a total and its split may both be recorded).
  [[nodiscard]] std::map<std::string, double> cost_by_group(std::uint64_t t0,
                                                            std::uint64_t t1) const;

  // The MetricsSource queries, answering "no data" for an empty name.
  [[nodiscard]] double increase(std::string_view name, const Labels& match, std::uint64_t t0,
                                std::uint64_t t1) const;
  [[nodiscard]] std::map<std::string, double> increase_by(std::string_view name,
                                                          std::string_view label,
                                                          const Labels& match, std::uint64_t t0,
                                                          std::uint64_t t1) const;
  [[nodiscard]] HistogramWindow histogram(std::string_view name, const Labels& match,
                                          std::uint64_t t0, std::uint64_t t1) const;
  [[nodiscard]] std::map<std::string, HistogramWindow> histogram_by(std::string_view name,
                                                                    std::string_view label,
                                                                    const Labels& match,
                                                                    std::uint64_t t0,
                                                                    std::uint64_t t1) const;
  [[nodiscard]] GaugeWindow gauge(std::string_view name, const Labels& match, std::uint64_t t0,
                                  std::uint64_t t1) const;
  [[nodiscard]] std::map<std::string, GaugeWindow> gauge_by(std::string_view name,
                                                            std::string_view label,
                                                            const Labels& match, std::uint64_t t0,
                                                            std::uint64_t t1) const;

 private:
  [[nodiscard]] std::map<std::string, double> counted_by_group(const Labels& match,
                                                               std::uint64_t t0,
                                                               std::uint64_t t1) const;

  const MetricsSource& s_;
  const ReportProfile& p_;
};

}  // namespace lumen::report::detail
