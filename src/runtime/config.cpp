#include "lumen/config.hpp"

#include <algorithm>
#include <cctype>

#include "lumen/core/error.hpp"
#include "lumen/trace/sampler.hpp"

namespace lumen {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(sep, start);
    if (end == std::string_view::npos) end = text.size();
    if (std::string item = trim(text.substr(start, end - start)); !item.empty()) out.push_back(item);
    start = end + 1;
  }
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string percent_decode(const std::string& s, std::string_view variable) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size() || hex_digit(s[i + 1]) < 0 || hex_digit(s[i + 2]) < 0) {
      throw Error(std::string(variable) + " has an invalid percent escape in '" + s + "'.");
    }
    out += static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
    i += 2;
  }
  return out;
}

// OTEL_EXPORTER_OTLP_HEADERS: "key1=value1,key2=value2", values percent-encoded.
std::vector<std::pair<std::string, std::string>> parse_headers(const std::string& text,
                                                               std::string_view variable) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& item : split(text, ',')) {
    const std::size_t eq = item.find('=');
    const std::string key = eq == std::string::npos ? "" : trim(item.substr(0, eq));
    if (key.empty()) {
      throw Error(std::string(variable) + "='" + text + "': '" + item +
                  "' is not key=value; write a comma-separated list such as api-key=secret,tenant=a");
    }
    out.emplace_back(key, percent_decode(trim(item.substr(eq + 1)), variable));
  }
  return out;
}

// The signal-specific variable (OTEL_EXPORTER_OTLP_<SIGNAL>_<suffix>) wins over the generic one.
std::optional<std::string> signal_or_generic(const Environment& env, std::string_view signal,
                                             const std::string& suffix, std::string& used_name) {
  used_name = "OTEL_EXPORTER_OTLP_" + std::string(signal) + "_" + suffix;
  if (auto v = env.get(used_name)) return v;
  used_name = "OTEL_EXPORTER_OTLP_" + suffix;
  return env.get(used_name);
}

// Endpoint, headers, timeout, compression and protocol of one signal's OTLP exporter; `signal` is
// TRACES or METRICS, `path` what is appended to the generic endpoint. Options is the exporter's
// options struct (the span and metric exporters name these members alike).
template <typename Options>
void read_otlp_transport(const Environment& env, std::string_view signal, std::string_view path,
                         Options& otlp) {
  const std::string endpoint_name = "OTEL_EXPORTER_OTLP_" + std::string(signal) + "_ENDPOINT";
  if (auto v = env.get(endpoint_name)) {
    otlp.endpoint = trim(*v);  // used as given
  } else if (auto base = env.get("OTEL_EXPORTER_OTLP_ENDPOINT")) {
    std::string url = trim(*base);
    if (!url.empty() && url.back() == '/') url.pop_back();
    otlp.endpoint = url + std::string(path);
  }
  if (otlp.endpoint.rfind("http://", 0) != 0 && otlp.endpoint.rfind("https://", 0) != 0) {
    throw Error("OTLP endpoint '" + otlp.endpoint +
                "' is not an http:// or https:// URL; set OTEL_EXPORTER_OTLP_ENDPOINT such as "
                "http://localhost:4318 (or " + endpoint_name + " to a full URL)");
  }
  std::string name;
  if (auto v = signal_or_generic(env, signal, "HEADERS", name)) otlp.headers = parse_headers(*v, name);
  if (auto v = signal_or_generic(env, signal, "TIMEOUT", name)) {
    otlp.timeout = env.duration_ms(name, otlp.timeout);
  }
  if (auto v = signal_or_generic(env, signal, "COMPRESSION", name)) {
    const std::string c = lower(trim(*v));
    if (c != "gzip" && c != "none") {
      throw Error(name + "='" + *v + "' is not valid: expected gzip or none.");
    }
    otlp.compression = c == "gzip" ? exporters::OtlpCompression::kGzip : exporters::OtlpCompression::kNone;
  }
  if (auto v = signal_or_generic(env, signal, "PROTOCOL", name)) {
    const std::string p = lower(trim(*v));
    if (p == "http/protobuf") {
      otlp.protocol = exporters::OtlpProtocol::kHttpProtobuf;
    } else if (p == "http/json") {
      otlp.protocol = exporters::OtlpProtocol::kHttpJson;
    } else {
      throw Error(name + "='" + *v +
                  "' is not supported: lumen speaks OTLP over HTTP; use http/protobuf or http/json "
                  "(collectors and Jaeger accept both on port 4318).");
    }
  }
}

exporters::OtlpHttpExporterOptions read_otlp(const Environment& env) {
  exporters::OtlpHttpExporterOptions otlp;
  read_otlp_transport(env, "TRACES", "/v1/traces", otlp);
  return otlp;
}

exporters::OtlpHttpMetricExporterOptions read_otlp_metrics(const Environment& env) {
  exporters::OtlpHttpMetricExporterOptions otlp;
  read_otlp_transport(env, "METRICS", "/v1/metrics", otlp);
  if (otlp.timeout.count() == 0) otlp.timeout = std::chrono::seconds(10);  // never infinite
  if (auto v = env.get("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE")) {
    const std::string t = lower(trim(*v));
    if (t == "cumulative") {
      otlp.temporality = metrics::TemporalityPreference::kCumulative;
    } else if (t == "delta") {
      otlp.temporality = metrics::TemporalityPreference::kDelta;
    } else if (t == "lowmemory") {
      otlp.temporality = metrics::TemporalityPreference::kLowMemory;
    } else {
      throw Error("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE='" + *v +
                  "' is not valid: expected cumulative, delta or lowmemory.");
    }
  }
  return otlp;
}

std::vector<MetricExporterKind> read_metric_exporters(const Environment& env) {
  if (auto list = env.get("OTEL_METRICS_EXPORTER")) {
    std::vector<MetricExporterKind> out;
    for (const std::string& raw : split(*list, ',')) {
      const std::string name = lower(raw);
      MetricExporterKind kind;
      if (name == "otlp") {
        kind = MetricExporterKind::kOtlp;
      } else if (name == "prometheus") {
        kind = MetricExporterKind::kPrometheus;
      } else if (name == "console") {
        kind = MetricExporterKind::kConsole;
      } else if (name == "none") {
        continue;
      } else {
        throw Error("OTEL_METRICS_EXPORTER='" + *list + "': '" + raw +
                    "' is not a known metrics exporter; use otlp, prometheus, console or none.");
      }
      if (std::find(out.begin(), out.end(), kind) == out.end()) out.push_back(kind);
    }
    return out;
  }
  std::vector<MetricExporterKind> out{MetricExporterKind::kPrometheus};
  if (env.get("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT") || env.get("OTEL_EXPORTER_OTLP_ENDPOINT")) {
    out.push_back(MetricExporterKind::kOtlp);
  }
  return out;
}

std::chrono::milliseconds positive_ms(const Environment& env, const char* name,
                                      std::chrono::milliseconds fallback) {
  const std::chrono::milliseconds v = env.duration_ms(name, fallback);
  if (v.count() <= 0) {
    throw Error(std::string(name) + "='" + env.get_or(name, "") +
                "' is not valid: expected a positive number of milliseconds.");
  }
  return v;
}

std::vector<TraceExporterKind> read_exporters(const Environment& env) {
  if (auto list = env.get("OTEL_TRACES_EXPORTER")) {
    std::vector<TraceExporterKind> out;
    for (const std::string& raw : split(*list, ',')) {
      const std::string name = lower(raw);
      if (name == "otlp") {
        out.push_back(TraceExporterKind::kOtlp);
      } else if (name == "jaeger") {
        out.push_back(TraceExporterKind::kJaeger);
      } else if (name == "console") {
        out.push_back(TraceExporterKind::kConsole);
      } else if (name == "memory") {
        out.push_back(TraceExporterKind::kEmbedded);
      } else if (name == "none") {
        continue;
      } else {
        throw Error("OTEL_TRACES_EXPORTER='" + *list + "': '" + raw +
                    "' is not a known exporter; use otlp, jaeger, console, memory or none.");
      }
    }
    return out;
  }
  // Nothing named: an OTLP endpoint means OTLP, a Jaeger endpoint means Jaeger, else embedded.
  if (env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") || env.get("OTEL_EXPORTER_OTLP_ENDPOINT")) {
    return {TraceExporterKind::kOtlp};
  }
  if (env.get("JAEGER_ENDPOINT") || env.get("OTEL_EXPORTER_JAEGER_ENDPOINT")) {
    return {TraceExporterKind::kJaeger};
  }
  return {TraceExporterKind::kEmbedded};
}

std::uint32_t limit(const Environment& env, const char* specific, const char* generic,
                    std::uint32_t fallback) {
  const char* name = env.get(specific) ? specific : generic;
  const std::int64_t v = env.integer(name, fallback, 0);
  return static_cast<std::uint32_t>(std::min<std::int64_t>(v, trace::SpanLimits::kUnlimited));
}

}  // namespace

Config Config::from_env(const Environment& env, std::string_view service_name) {
  Config config;
  config.resource = Resource::from_environment(env, service_name);
  TraceConfig& t = config.trace;
  t.enabled = !env.boolean("OTEL_SDK_DISABLED", false);
  t.exporters = read_exporters(env);
  t.sampler = lower(env.get_or("OTEL_TRACES_SAMPLER", t.sampler));
  t.sampler_arg = env.get_or("OTEL_TRACES_SAMPLER_ARG", "");
  (void)trace::Sampler::from_name(t.sampler, t.sampler_arg);  // validate now, with a clear error

  trace::BatchSpanProcessorOptions& b = t.batch;
  b.max_queue_size = static_cast<std::size_t>(env.integer("OTEL_BSP_MAX_QUEUE_SIZE", 1000, 1));
  b.max_export_batch_size =
      static_cast<std::size_t>(env.integer("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 512, 1));
  if (b.max_export_batch_size > b.max_queue_size) {
    throw Error("OTEL_BSP_MAX_EXPORT_BATCH_SIZE (" + std::to_string(b.max_export_batch_size) +
                ") must not exceed OTEL_BSP_MAX_QUEUE_SIZE (" + std::to_string(b.max_queue_size) + ").");
  }
  b.schedule_delay = env.duration_ms("OTEL_BSP_SCHEDULE_DELAY", b.schedule_delay);
  b.export_timeout = env.duration_ms("OTEL_BSP_EXPORT_TIMEOUT", b.export_timeout);
  if (b.export_timeout.count() == 0) b.export_timeout = std::chrono::seconds(30);  // never infinite

  trace::SpanLimits& l = t.limits;
  const std::uint32_t unlimited = trace::SpanLimits::kUnlimited;
  l.attribute_count = limit(env, "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT", 128);
  l.attribute_value_length = limit(env, "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT",
                                   "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", unlimited);
  l.event_count = limit(env, "OTEL_SPAN_EVENT_COUNT_LIMIT", "OTEL_SPAN_EVENT_COUNT_LIMIT", 128);
  l.link_count = limit(env, "OTEL_SPAN_LINK_COUNT_LIMIT", "OTEL_SPAN_LINK_COUNT_LIMIT", 128);
  l.attributes_per_event =
      limit(env, "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT", 128);
  l.attributes_per_link =
      limit(env, "OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT", 128);

  if (std::find(t.exporters.begin(), t.exporters.end(), TraceExporterKind::kOtlp) !=
      t.exporters.end()) {
    t.otlp = read_otlp(env);
  }
  // OTEL_EXPORTER_JAEGER_* are the specification's names; JAEGER_ENDPOINT the original design's.
  if (auto v = env.get("OTEL_EXPORTER_JAEGER_ENDPOINT")) {
    t.jaeger.endpoint = trim(*v);
  } else if (auto legacy = env.get("JAEGER_ENDPOINT")) {
    t.jaeger.endpoint = trim(*legacy);
  }
  t.jaeger.timeout = env.duration_ms("OTEL_EXPORTER_JAEGER_TIMEOUT", t.jaeger.timeout);

  AdminConfig& a = config.admin;
  a.enabled = env.get("METRICS_PORT").has_value();
  if (a.enabled && env.integer("METRICS_PORT", a.port, 0) > 65535) {
    throw Error("METRICS_PORT must be a TCP port number (0 to 65535), not '" +
                *env.get("METRICS_PORT") + "'.");
  }
  a.port = static_cast<std::uint16_t>(env.integer("METRICS_PORT", a.port, 0));
  a.host = trim(env.get_or("METRICS_HOST", a.host));

  config.log.options = log::LoggerOptions::from_environment(env, config.resource);
  config.log.files = log::LogFiles::from_environment(env);

  MetricsConfig& m = config.metrics;
  m.enabled = t.enabled;
  m.exporters = read_metric_exporters(env);
  m.export_interval = positive_ms(env, "OTEL_METRIC_EXPORT_INTERVAL", m.export_interval);
  m.export_timeout = positive_ms(env, "OTEL_METRIC_EXPORT_TIMEOUT", m.export_timeout);
  if (std::find(m.exporters.begin(), m.exporters.end(), MetricExporterKind::kOtlp) != m.exporters.end()) {
    m.otlp = read_otlp_metrics(env);
  }
  return config;
}

}  // namespace lumen
