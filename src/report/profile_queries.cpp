#include "profile_queries.hpp"

#include <algorithm>

namespace lumen::report::detail {
namespace {

double get(const std::map<std::string, double>& m, const std::string& k) {
  const auto it = m.find(k);
  return it == m.end() ? 0.0 : it->second;
}

}  // namespace

std::map<std::string, double> ProfiledQueries::counted_by_group(const Labels& match,
                                                                std::uint64_t t0,
                                                                std::uint64_t t1) const {
  const ReportMetrics& m = p_.metrics;
  if (!m.requests.empty()) return increase_by(m.requests, m.group_label, match, t0, t1);
  std::map<std::string, double> out;
  for (const auto& [group, h] : histogram_by(m.request_duration, m.group_label, match, t0, t1)) {
    out[group] = h.count;
  }
  return out;
}

std::map<std::string, double> ProfiledQueries::requests_by_group(std::uint64_t t0,
                                                                 std::uint64_t t1) const {
  return counted_by_group({}, t0, t1);
}

std::map<std::string, double> ProfiledQueries::failures_by_group(std::uint64_t t0,
                                                                 std::uint64_t t1) const {
  if (p_.metrics.failure_match.empty()) return {};
  return counted_by_group(p_.metrics.failure_match, t0, t1);
}

double ProfiledQueries::requests(std::uint64_t t0, std::uint64_t t1) const {
  const ReportMetrics& m = p_.metrics;
  if (!m.requests.empty()) return increase(m.requests, {}, t0, t1);
  return histogram(m.request_duration, {}, t0, t1).count;
}

double ProfiledQueries::failures(std::uint64_t t0, std::uint64_t t1) const {
  const ReportMetrics& m = p_.metrics;
  if (m.failure_match.empty()) return 0;
  if (!m.requests.empty()) return increase(m.requests, m.failure_match, t0, t1);
  return histogram(m.request_duration, m.failure_match, t0, t1).count;
}

std::map<std::string, double> ProfiledQueries::units_by_group(std::string_view direction,
                                                              std::uint64_t t0,
                                                              std::uint64_t t1) const {
  return increase_by(p_.metrics.token_usage, p_.metrics.group_label,
                     {{"direction", std::string(direction)}}, t0, t1);
}

std::map<std::string, double> ProfiledQueries::undirected_units_by_group(std::uint64_t t0,
                                                                         std::uint64_t t1) const {
  return increase_by(p_.metrics.tokens, p_.metrics.group_label, {}, t0, t1);
}

std::map<std::string, double> ProfiledQueries::cost_by_group(std::uint64_t t0,
                                                             std::uint64_t t1) const {
  const auto in = units_by_group("input", t0, t1);
  const auto out = units_by_group("output", t0, t1);
  std::map<std::string, double> usd;
  for (const auto& [g, v] : in) usd[g] += p_.pricing.cost(g, v, 0);
  for (const auto& [g, v] : out) usd[g] += p_.pricing.cost(g, 0, v);
  for (const auto& [g, v] : undirected_units_by_group(t0, t1)) {
    usd[g] += p_.pricing.cost_undirected(g, std::max(0.0, v - get(in, g) - get(out, g)));
  }
  return usd;
}

double ProfiledQueries::increase(std::string_view name, const Labels& match, std::uint64_t t0,
                                 std::uint64_t t1) const {
  return name.empty() ? 0.0 : s_.increase(name, match, t0, t1);
}

std::map<std::string, double> ProfiledQueries::increase_by(std::string_view name,
                                                           std::string_view label,
                                                           const Labels& match, std::uint64_t t0,
                                                           std::uint64_t t1) const {
  if (name.empty()) return {};
  return s_.increase_by(name, label, match, t0, t1);
}

HistogramWindow ProfiledQueries::histogram(std::string_view name, const Labels& match,
                                           std::uint64_t t0, std::uint64_t t1) const {
  return name.empty() ? HistogramWindow{} : s_.histogram(name, match, t0, t1);
}

std::map<std::string, HistogramWindow> ProfiledQueries::histogram_by(std::string_view name,
                                                                     std::string_view label,
                                                                     const Labels& match,
                                                                     std::uint64_t t0,
                                                                     std::uint64_t t1) const {
  if (name.empty()) return {};
  return s_.histogram_by(name, label, match, t0, t1);
}

GaugeWindow ProfiledQueries::gauge(std::string_view name, const Labels& match, std::uint64_t t0,
                                   std::uint64_t t1) const {
  return name.empty() ? GaugeWindow{} : s_.gauge(name, match, t0, t1);
}

std::map<std::string, GaugeWindow> ProfiledQueries::gauge_by(std::string_view name,
                                                             std::string_view label,
                                                             const Labels& match, std::uint64_t t0,
                                                             std::uint64_t t1) const {
  if (name.empty()) return {};
  return s_.gauge_by(name, label, match, t0, t1);
}

}  // namespace lumen::report::detail
