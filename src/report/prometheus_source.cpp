#include "lumen/report/prometheus_source.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "core/ascii.hpp"
#include "lumen/core/clock.hpp"
#include "lumen/export/curl_transport.hpp"
#include "time_format.hpp"

namespace lumen::report {
namespace {

// A query over many series answers with many megabytes of JSON; a bigger answer is an error.
constexpr std::size_t kMaxAnswer = std::size_t{256} << 20;

// RFC 3986's unreserved characters: the rest of a query parameter is percent-encoded.
bool is_unreserved(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string range(std::uint64_t t0, std::uint64_t t1) {
  const std::uint64_t ms = t1 > t0 ? (t1 - t0) / 1'000'000ULL : 1;
  return "[" + std::to_string(std::max<std::uint64_t>(ms, 1)) + "ms]";
}

std::string escape_label_value(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

// Cumulative `le` buckets to the store's per-bucket form.
HistogramWindow from_buckets(std::vector<std::pair<double, double>> le_counts, double count,
                             double sum) {
  std::sort(le_counts.begin(), le_counts.end());
  HistogramWindow h;
  h.count = count;
  h.sum = sum;
  double prev = 0;
  for (const auto& [le, cumulative] : le_counts) {
    if (std::isfinite(le)) h.bounds.push_back(le);
    h.bucket_counts.push_back(std::max(0.0, cumulative - prev));
    prev = std::max(prev, cumulative);
  }
  if (h.bucket_counts.size() == h.bounds.size()) h.bucket_counts.push_back(0);  // no +Inf seen
  return h;
}

}  // namespace

std::string PrometheusSource::prometheus_metric(std::string_view instrument) const {
  if (const auto it = opt_.names.find(instrument); it != opt_.names.end()) return it->second;
  // lumen's own instruments, whatever the service's profile.
  static const std::unordered_map<std::string_view, std::string_view> kLumenNames = {
      {"lumen.spans.dropped", "lumen_spans_dropped_total"},
      {"lumen.log.records.dropped", "lumen_log_records_dropped_total"},
      {"lumen.pool.wait_time", "lumen_pool_wait_time_seconds"},
  };
  if (const auto it = kLumenNames.find(instrument); it != kLumenNames.end())
    return std::string(it->second);
  std::string out(instrument);
  for (char& c : out) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return out;
}

std::string PrometheusSource::counter_name(std::string_view instrument) const {
  std::string n = prometheus_metric(instrument);
  if (n.size() < 6 || n.compare(n.size() - 6, 6, "_total") != 0) n += "_total";
  return n;
}

PrometheusSource::PrometheusSource(PrometheusSourceOptions options) : opt_(std::move(options)) {
  while (!opt_.url.empty() && opt_.url.back() == '/') opt_.url.pop_back();
  if (opt_.transport == nullptr) opt_.transport = exporters::make_curl_transport();
}

std::string PrometheusSource::selector(const Labels& match) const {
  std::string s = "{";
  for (const auto& [k, v] : match) {
    if (s.size() > 1) s += ',';
    s += k + "=\"" + escape_label_value(v) + "\"";
  }
  if (!opt_.selector.empty()) {
    if (s.size() > 1) s += ',';
    s += opt_.selector;
  }
  return s + "}";
}

std::vector<PrometheusSource::Sample> PrometheusSource::query(const std::string& promql,
                                                              std::uint64_t time_ns) const {
  std::vector<Sample> out;
  char when[64];
  const std::uint64_t time_ms = time_ns / 1'000'000ULL;  // whole milliseconds, as before
  std::snprintf(when, sizeof when, "%.3f", static_cast<double>(time_ms) / 1000.0);
  exporters::HttpRequest request{.method = "GET",
                                 .url = opt_.url + "/api/v1/query?query=",
                                 .deadline = std::chrono::steady_clock::now() + opt_.timeout,
                                 .accept_gzip = true,
                                 .max_response_body = kMaxAnswer};
  ascii::percent_encode(promql, is_unreserved, request.url);
  request.url += "&time=";
  request.url += when;
  const exporters::HttpExchange answer = opt_.transport->perform(request);
  const bool ok = answer.error == exporters::TransportError::kNone && answer.status == 200 &&
                  answer.body.size() < kMaxAnswer;
  const nlohmann::json j = nlohmann::json::parse(answer.body, nullptr, false);
  if (!ok || j.is_discarded() || j.value("status", "") != "success" || !j.contains("data") ||
      j["data"].value("resultType", "") != "vector") {
    ++errors_;
    return out;
  }
  try {
    for (const auto& r : j["data"]["result"]) {
      Sample s;
      s.labels = r.at("metric").get<std::map<std::string, std::string>>();
      const std::string text = r.at("value").at(1).get<std::string>();
      s.value = text == "+Inf" ? std::numeric_limits<double>::infinity()
                               : std::strtod(text.c_str(), nullptr);
      if (!std::isfinite(s.value)) continue;
      out.push_back(std::move(s));
    }
  } catch (const nlohmann::json::exception&) {
    ++errors_;
    out.clear();
  }
  return out;
}

double PrometheusSource::increase(std::string_view name, const Labels& match, std::uint64_t t0,
                                  std::uint64_t t1) const {
  double total = 0;
  for (const Sample& s :
       query("sum(increase(" + counter_name(name) + selector(match) + range(t0, t1) + "))", t1)) {
    total += s.value;
  }
  return total;
}

std::map<std::string, double> PrometheusSource::increase_by(std::string_view name,
                                                            std::string_view label,
                                                            const Labels& match, std::uint64_t t0,
                                                            std::uint64_t t1) const {
  std::map<std::string, double> out;
  const std::string l(label);
  for (const Sample& s : query("sum by (" + l + ") (increase(" + counter_name(name) +
                                   selector(match) + range(t0, t1) + "))",
                               t1)) {
    const auto it = s.labels.find(l);
    out[it == s.labels.end() ? "" : it->second] += s.value;
  }
  return out;
}

std::map<std::string, HistogramWindow> PrometheusSource::histogram_by(std::string_view name,
                                                                      std::string_view label,
                                                                      const Labels& match,
                                                                      std::uint64_t t0,
                                                                      std::uint64_t t1) const {
  const std::string base = prometheus_metric(name);
  const std::string l(label);
  const std::string by = l.empty() ? std::string() : ", " + l;
  const std::string sel = selector(match) + range(t0, t1);
  std::map<std::string, std::vector<std::pair<double, double>>> buckets;
  std::map<std::string, double> counts;
  std::map<std::string, double> sums;
  const auto key = [&](const Sample& s) {
    const auto it = s.labels.find(l);
    return it == s.labels.end() ? std::string() : it->second;
  };
  const std::string bucket_query =
      "sum by (le" + by + ") (increase(" + base + "_bucket" + sel + "))";
  for (const Sample& s : query(bucket_query, t1)) {
    const auto le = s.labels.find("le");
    if (le == s.labels.end()) continue;
    const double bound = le->second == "+Inf" ? std::numeric_limits<double>::infinity()
                                              : std::strtod(le->second.c_str(), nullptr);
    buckets[key(s)].emplace_back(bound, s.value);
  }
  const std::string group = l.empty() ? "sum" : "sum by (" + l + ")";
  const std::string count_query = group + " (increase(" + base + "_count" + sel + "))";
  const std::string sum_query = group + " (increase(" + base + "_sum" + sel + "))";
  for (const Sample& s : query(count_query, t1)) counts[key(s)] += s.value;
  for (const Sample& s : query(sum_query, t1)) sums[key(s)] += s.value;
  std::map<std::string, HistogramWindow> out;
  for (auto& [k, b] : buckets) out[k] = from_buckets(std::move(b), counts[k], sums[k]);
  return out;
}

HistogramWindow PrometheusSource::histogram(std::string_view name, const Labels& match,
                                            std::uint64_t t0, std::uint64_t t1) const {
  auto all = histogram_by(name, "", match, t0, t1);
  return all.empty() ? HistogramWindow{} : std::move(all.begin()->second);
}

std::map<std::string, GaugeWindow> PrometheusSource::gauge_by(std::string_view name,
                                                              std::string_view label,
                                                              const Labels& match, std::uint64_t t0,
                                                              std::uint64_t t1) const {
  const std::string l(label);
  const std::string group = l.empty() ? "sum" : "sum by (" + l + ")";
  const std::string inner = group + " (" + prometheus_metric(name) + selector(match) + ")";
  const std::string sub =
      "[" + std::to_string(std::max<std::uint64_t>(1, (t1 - std::min(t0, t1)) / 1'000'000'000ULL)) +
      "s:" + std::to_string(std::max<std::int64_t>(1, opt_.gauge_step.count())) + "s]";
  std::map<std::string, GaugeWindow> out;
  const auto key = [&](const Sample& s) {
    const auto it = s.labels.find(l);
    return it == s.labels.end() ? std::string() : it->second;
  };
  const std::string count_query = "count_over_time(" + inner + sub + ")";
  const std::string max_query = "max_over_time(" + inner + sub + ")";
  const std::string avg_query = "avg_over_time(" + inner + sub + ")";
  for (const Sample& s : query(count_query, t1)) {
    out[key(s)].samples = static_cast<std::size_t>(s.value);
  }
  for (const Sample& s : query(inner, t1)) {
    GaugeWindow& g = out[key(s)];
    g.latest = s.value;
    g.latest_time = t1;
    g.first = s.value;  // until the value at t0 says otherwise
    g.first_time = t1;
  }
  for (const Sample& s : query(max_query, t1)) out[key(s)].max = s.value;
  for (const Sample& s : query(avg_query, t1)) out[key(s)].mean = s.value;
  for (const Sample& s : query(inner, t0)) {
    const auto it = out.find(key(s));
    if (it == out.end()) continue;
    it->second.first = s.value;
    it->second.first_time = t0;
  }
  return out;
}

GaugeWindow PrometheusSource::gauge(std::string_view name, const Labels& match, std::uint64_t t0,
                                    std::uint64_t t1) const {
  auto all = gauge_by(name, "", match, t0, t1);
  return all.empty() ? GaugeWindow{} : all.begin()->second;
}

std::uint64_t PrometheusSource::latest_time() const {
  return wall_clock_ns();
}
std::uint64_t PrometheusSource::oldest_time() const {
  return wall_clock_ns() - detail::kDayNs;
}

}  // namespace lumen::report
