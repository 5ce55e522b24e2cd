#include "lumen/metrics/prometheus.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <unordered_map>
#include <vector>

#include "metrics/exponential_cell.hpp"

namespace lumen::metrics {
namespace {

bool is_name_char(char c, bool allow_colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         (allow_colon && c == ':');
}

// Replaces each run of invalid characters with one '_' and prefixes a leading digit with '_'.
std::string sanitize(std::string_view in, bool allow_colon) {
  std::string out;
  out.reserve(in.size() + 1);
  if (!in.empty() && in[0] >= '0' && in[0] <= '9') out.push_back('_');
  for (char c : in) {
    if (is_name_char(c, allow_colon)) {
      out.push_back(c);
    } else if (out.empty() || out.back() != '_') {
      out.push_back('_');
    }
  }
  return out;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string_view unit_word(std::string_view unit) {
  static const std::pair<std::string_view, std::string_view> kUnits[] = {
      {"s", "seconds"},      {"ms", "milliseconds"}, {"us", "microseconds"}, {"ns", "nanoseconds"},
      {"min", "minutes"},    {"h", "hours"},         {"d", "days"},          {"By", "bytes"},
      {"KiBy", "kibibytes"}, {"MiBy", "mebibytes"},  {"GiBy", "gibibytes"},  {"KBy", "kilobytes"},
      {"MBy", "megabytes"},  {"GBy", "gigabytes"},   {"%", "percent"},       {"m", "meters"},
      {"V", "volts"},        {"A", "amperes"},       {"J", "joules"},        {"W", "watts"},
      {"g", "grams"},        {"Cel", "celsius"},     {"Hz", "hertz"},
  };
  for (const auto& [ucum, word] : kUnits) {
    if (unit == ucum) return word;
  }
  return {};
}

// "s" -> "seconds", "By/s" -> "bytes_per_second", "1" and "{request}" -> "".
std::string unit_suffix(std::string_view unit) {
  // Annotations in braces carry no unit.
  std::string plain;
  int depth = 0;
  for (char c : unit) {
    if (c == '{')
      ++depth;
    else if (c == '}')
      depth = depth > 0 ? depth - 1 : 0;
    else if (depth == 0)
      plain.push_back(c);
  }
  if (plain.empty() || plain == "1") return {};
  const auto slash = plain.find('/');
  auto word = [](std::string_view u) {
    const std::string_view w = unit_word(u);
    return w.empty() ? sanitize(u, false) : std::string(w);
  };
  if (slash == std::string::npos) return word(plain);
  const std::string_view per = std::string_view(plain).substr(slash + 1);
  static const std::pair<std::string_view, std::string_view> kPer[] = {
      {"s", "second"}, {"m", "minute"}, {"h", "hour"}, {"d", "day"}};
  std::string per_word;
  for (const auto& [u, w] : kPer) {
    if (per == u) per_word = w;
  }
  if (per_word.empty()) per_word = sanitize(per, false);
  const std::string num = word(std::string_view(plain).substr(0, slash));
  return num.empty() ? "per_" + per_word : num + "_per_" + per_word;
}

void append_escaped_label_value(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out.push_back(c);
    }
  }
}

void append_help(std::string& out, std::string_view v, bool openmetrics) {
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '"':
        if (openmetrics) {
          out += "\\\"";
        } else {
          out.push_back(c);
        }
        break;
      default:
        out.push_back(c);
    }
  }
}

void append_double(std::string& out, double v, bool force_decimal_point = false) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  std::string_view s(buf, static_cast<std::size_t>(res.ptr - buf));
  out += s;
  if (force_decimal_point && s.find_first_of(".e") == std::string_view::npos) out += ".0";
}

void append_int(std::string& out, std::uint64_t v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

void append_attribute_value(std::string& out, const AttributeValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) {
    append_escaped_label_value(out, *s);
  } else if (const auto* b = std::get_if<bool>(&v)) {
    out += *b ? "true" : "false";
  } else if (const auto* i = std::get_if<std::int64_t>(&v)) {
    append_int(out, *i);
  } else if (const auto* d = std::get_if<double>(&v)) {
    append_double(out, *d);
  } else {
    append_escaped_label_value(out, to_string(v));
  }
}

// Writes `{k="v",...[,extra_key="extra_value"]}`; nothing when there are no labels at all.
void append_labels(std::string& out, const Attributes& attrs, std::string_view extra_key = {},
                   std::string_view extra_value = {}) {
  if (attrs.empty() && extra_key.empty()) return;
  out.push_back('{');
  bool first = true;
  for (const Attribute& a : attrs) {
    if (!first) out.push_back(',');
    first = false;
    out += prometheus_label_name(a.key);
    out += "=\"";
    append_attribute_value(out, a.value);
    out.push_back('"');
  }
  if (!extra_key.empty()) {
    if (!first) out.push_back(',');
    out += extra_key;
    out += "=\"";
    out += extra_value;
    out.push_back('"');
  }
  out.push_back('}');
}

void append_exemplar(std::string& out, const Exemplar& e, bool is_integer) {
  char hex[32];
  if (e.trace_id.is_valid()) {
    out += " # {trace_id=\"";
    e.trace_id.to_hex(hex);
    out.append(hex, 32);
    out += "\",span_id=\"";
    e.span_id.to_hex(hex);
    out.append(hex, 16);
    out += "\"} ";
  } else {  // always_on: a measurement taken outside any sampled span
    out += " # {} ";
  }
  if (is_integer && e.value == std::floor(e.value) && std::fabs(e.value) < 9e15) {
    append_int(out, static_cast<std::int64_t>(e.value));
  } else {
    append_double(out, e.value);
  }
  // Seconds with millisecond precision.
  out.push_back(' ');
  append_int(out, static_cast<std::uint64_t>(e.time_unix_nano / 1'000'000'000ULL));
  char ms[8];
  std::snprintf(ms, sizeof ms, ".%03u",
                static_cast<unsigned>((e.time_unix_nano / 1'000'000ULL) % 1000ULL));
  out += ms;
}

const char* type_word(MetricType type, bool openmetrics) {
  switch (type) {
    case MetricType::kMonotonicSum:
      return "counter";
    case MetricType::kSum:
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
    case MetricType::kExponentialHistogram:
      return "histogram";
  }
  return openmetrics ? "unknown" : "untyped";
}

void append_sum_count(std::string& out, std::string_view name, const Attributes& attrs,
                      bool with_sum, double sum, std::uint64_t count) {
  if (with_sum) {
    out += name;
    out += "_sum";
    append_labels(out, attrs);
    out.push_back(' ');
    append_double(out, sum);
    out.push_back('\n');
  }
  out += name;
  out += "_count";
  append_labels(out, attrs);
  out.push_back(' ');
  append_int(out, count);
  out.push_back('\n');
}

void append_bucket(std::string& out, std::string_view name, const Attributes& attrs,
                   std::string_view le, std::uint64_t cumulative, const Exemplar* exemplar) {
  out += name;
  out += "_bucket";
  append_labels(out, attrs, "le", le);
  out.push_back(' ');
  append_int(out, cumulative);
  if (exemplar != nullptr) append_exemplar(out, *exemplar, false);
  out.push_back('\n');
}

// Text formats have no native exponential histogram, so it is written as a classic one whose
// bounds are the bucket bounds: negative buckets (upper bound -base^index, nearest zero), 0 for the
// zero count, then base^(index+1) for positive buckets, and +Inf. A bound that does not increase
// (a double's range ran out) is skipped; its count folds into the next line, which is cumulative.
// In OpenMetrics an exemplar goes on the first line whose bound holds its value.
void write_exponential(std::string& out, std::string_view name, const ExponentialHistogramPoint& p,
                       bool om) {
  std::vector<const Exemplar*> exemplars;
  if (om) {
    for (const Exemplar& e : p.exemplars) exemplars.push_back(&e);
  }
  const auto take_exemplar = [&](double le) -> const Exemplar* {
    for (auto it = exemplars.begin(); it != exemplars.end(); ++it) {
      if ((*it)->value <= le) {
        const Exemplar* e = *it;
        exemplars.erase(it);
        return e;
      }
    }
    return nullptr;
  };
  std::uint64_t cumulative = 0;
  double last = -std::numeric_limits<double>::infinity();
  std::string le_text;
  const auto line = [&](double le) {
    if (!(le > last) || std::isinf(le)) return;
    last = le;
    le_text.clear();
    append_double(le_text, le, om);
    append_bucket(out, name, p.attributes, le_text, cumulative, take_exemplar(le));
  };
  const auto& neg = p.negative.bucket_counts;
  for (std::size_t k = neg.size(); k-- > 0;) {
    cumulative += neg[k];
    line(-detail::exponential_bound(std::int64_t{p.negative.offset} + static_cast<std::int64_t>(k),
                                    p.scale));
  }
  cumulative += p.zero_count;
  if (!neg.empty() || p.zero_count > 0) line(0.0);
  const auto& pos = p.positive.bucket_counts;
  for (std::size_t k = 0; k < pos.size(); ++k) {
    cumulative += pos[k];
    line(detail::exponential_bound(
        std::int64_t{p.positive.offset} + static_cast<std::int64_t>(k) + 1, p.scale));
  }
  append_bucket(out, name, p.attributes, "+Inf", p.count,
                exemplars.empty() ? nullptr : exemplars.front());
  // OpenMetrics: a histogram with negative observations must not expose a sum (not a counter).
  append_sum_count(out, name, p.attributes, !om || neg.empty(), p.sum, p.count);
}

struct Family {
  std::string name;  // without _total
  std::vector<const MetricData*> metrics;
};

void write_family(std::string& out, const Family& f, bool om) {
  const MetricData& first = *f.metrics.front();
  const bool counter = first.type == MetricType::kMonotonicSum;
  // Prometheus 0.0.4 names the counter family with its _total; OpenMetrics without.
  const std::string family = counter && !om ? f.name + "_total" : f.name;
  const std::string_view help = first.description.empty() ? std::string_view(first.name)
                                                          : std::string_view(first.description);
  out += "# HELP ";
  out += family;
  out.push_back(' ');
  append_help(out, help, om);
  out += "\n# TYPE ";
  out += family;
  out.push_back(' ');
  out += type_word(first.type, om);
  out.push_back('\n');
  if (om) {
    const std::string unit = unit_suffix(first.unit);
    if (!unit.empty() && ends_with(f.name, "_" + unit)) {
      out += "# UNIT ";
      out += f.name;
      out.push_back(' ');
      out += unit;
      out.push_back('\n');
    }
  }

  for (const MetricData* m : f.metrics) {
    if (m->type != first.type) continue;  // a clash of kinds under one name: keep the first
    if (m->type == MetricType::kExponentialHistogram) {
      for (const ExponentialHistogramPoint& p : m->exponential_points) {
        write_exponential(out, f.name, p, om);
      }
      continue;
    }
    if (m->type == MetricType::kHistogram) {
      for (const HistogramPoint& p : m->histogram_points) {
        std::uint64_t cumulative = 0;
        std::string le;
        for (std::size_t b = 0; b < p.bucket_counts.size(); ++b) {
          cumulative += p.bucket_counts[b];
          le.clear();
          if (b < m->bounds.size()) {
            append_double(le, m->bounds[b], om);
          } else {
            le = "+Inf";
          }
          const bool has_exemplar = om && b < p.exemplars.size() && p.exemplars[b];
          append_bucket(out, f.name, p.attributes, le, cumulative,
                        has_exemplar ? &*p.exemplars[b] : nullptr);
        }
        append_sum_count(out, f.name, p.attributes, true, p.sum, p.count);
      }
      continue;
    }
    for (const NumberPoint& p : m->number_points) {
      out += f.name;
      if (counter) out += "_total";
      append_labels(out, p.attributes);
      out.push_back(' ');
      if (m->is_integer) {
        append_int(out, p.int_value);
      } else {
        append_double(out, p.value);
      }
      if (om && counter && p.exemplar) append_exemplar(out, *p.exemplar, m->is_integer);
      out.push_back('\n');
    }
  }
}

void write_target_info(std::string& out, const Resource& resource, bool om) {
  if (resource.attributes().empty()) return;
  if (om) {
    out += "# TYPE target info\n# HELP target Target metadata\ntarget_info";
  } else {
    out += "# HELP target_info Target metadata\n# TYPE target_info gauge\ntarget_info";
  }
  append_labels(out, resource.attributes());
  out += " 1\n";
}

}  // namespace

std::string prometheus_label_name(std::string_view key) {
  std::string out = sanitize(key, false);
  if (out.empty()) out = "_";
  return out;
}

std::string prometheus_name(const MetricData& metric) {
  std::string name = sanitize(metric.name, true);
  if (metric.type == MetricType::kMonotonicSum && ends_with(name, "_total")) {
    name.resize(name.size() - 6);
  }
  const std::string unit = unit_suffix(metric.unit);
  if (!unit.empty() && !ends_with(name, "_" + unit)) name += "_" + unit;
  return name;
}

ExpositionFormat negotiate_exposition_format(std::string_view accept) noexcept {
  return accept.find("application/openmetrics-text") != std::string_view::npos
             ? ExpositionFormat::kOpenMetrics
             : ExpositionFormat::kPrometheusText;
}

std::string_view content_type(ExpositionFormat format) noexcept {
  return format == ExpositionFormat::kOpenMetrics
             ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
             : "text/plain; version=0.0.4; charset=utf-8";
}

void serialize(const MetricsSnapshot& snapshot, ExpositionFormat format, std::string& out) {
  const bool om = format == ExpositionFormat::kOpenMetrics;
  write_target_info(out, snapshot.resource, om);
  std::vector<Family> families;
  std::unordered_map<std::string, std::size_t> index;
  for (const MetricData& m : snapshot.metrics) {
    std::string name = prometheus_name(m);
    auto [it, inserted] = index.emplace(name, families.size());
    if (inserted) families.push_back(Family{std::move(name), {}});
    families[it->second].metrics.push_back(&m);
  }
  for (const Family& f : families) write_family(out, f, om);
  if (om) out += "# EOF\n";
}

std::string serialize(const MetricsSnapshot& snapshot, ExpositionFormat format) {
  std::string out;
  serialize(snapshot, format, out);
  return out;
}

}  // namespace lumen::metrics
