#include "lumen/config.hpp"

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <optional>

#include "core/ascii.hpp"
#include "core/sdk_diagnostics.hpp"
#include "lumen/core/error.hpp"
#include "lumen/trace/sampler.hpp"
#include "propagators_config.hpp"

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
    if (std::string item = trim(text.substr(start, end - start)); !item.empty())
      out.push_back(item);
    start = end + 1;
  }
  return out;
}

// OTEL_EXPORTER_OTLP_HEADERS: "key1=value1,key2=value2", values percent-encoded. An entry that is
// not key=value, or a bad escape, discards the whole value (with a warning), as the specification
// asks for a value that cannot be decoded.
std::vector<std::pair<std::string, std::string>> parse_headers(const std::string& text,
                                                               std::string_view variable) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& item : split(text, ',')) {
    const std::size_t eq = item.find('=');
    const std::string key = eq == std::string::npos ? "" : trim(item.substr(0, eq));
    std::optional<std::string> value;
    if (!key.empty()) value = ascii::percent_decode_strict(trim(item.substr(eq + 1)));
    if (!value) {
      detail::warn_invalid_setting(
          variable, text,
          "a comma-separated list of key=value with percent-encoded values "
          "such as api-key=secret,tenant=a",
          "no extra headers");
      return {};
    }
    out.emplace_back(key, std::move(*value));
  }
  return out;
}

// A value that must be one of `allowed` (compared lower-case), else the fallback with a warning.
std::string one_of(const Environment& env, std::string_view name,
                   std::initializer_list<std::string_view> allowed, std::string_view fallback) {
  const std::optional<std::string> raw = env.get(name);
  if (!raw) return std::string(fallback);
  std::string v = lower(trim(*raw));
  if (std::find(allowed.begin(), allowed.end(), v) != allowed.end()) return v;
  std::string expected;
  for (std::string_view a : allowed) expected += (expected.empty() ? "" : ", ") + std::string(a);
  detail::warn_invalid_setting(name, *raw, "one of " + expected,
                               "the default " + std::string(fallback));
  return std::string(fallback);
}

// The names of a comma-separated exporter list that are in `known`; unknown names are dropped with
// a warning. Nullopt when the variable is unset, or when no name in it is known (the default then).
std::optional<std::vector<std::string>> known_names(const Environment& env, std::string_view name,
                                                    std::initializer_list<std::string_view> known,
                                                    std::string_view default_text) {
  const std::optional<std::string> list = env.get(name);
  if (!list) return std::nullopt;
  std::vector<std::string> out;
  std::vector<std::string> unknown;
  for (const std::string& raw : split(*list, ',')) {
    std::string n = lower(raw);
    if (std::find(known.begin(), known.end(), n) != known.end()) {
      out.push_back(std::move(n));
    } else {
      unknown.push_back(raw);
    }
  }
  if (unknown.empty()) return out;
  std::string expected;
  for (std::string_view k : known) expected += (expected.empty() ? "" : ", ") + std::string(k);
  std::string used;
  for (const std::string& n : out) used += (used.empty() ? "" : ",") + n;
  detail::warn_invalid_setting(name, *list, "a comma-separated list of " + expected,
                               out.empty() ? "the default " + std::string(default_text) : used);
  if (out.empty()) return std::nullopt;
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

// OTLP/gRPC appends no signal path: the signal's endpoint, else the generic one, else port 4317.
std::string grpc_endpoint(const Environment& env, const std::string& signal_endpoint_name) {
  if (auto v = env.get(signal_endpoint_name)) return trim(*v);
  if (auto v = env.get("OTEL_EXPORTER_OTLP_ENDPOINT")) return trim(*v);
  return "http://localhost:4317";
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
  // A malformed endpoint stays a start-up error (README): nothing could ever be delivered.
  if (otlp.endpoint.rfind("http://", 0) != 0 && otlp.endpoint.rfind("https://", 0) != 0) {
    throw Error("OTLP endpoint '" + otlp.endpoint +
                "' is not an http:// or https:// URL; set OTEL_EXPORTER_OTLP_ENDPOINT such as "
                "http://localhost:4318 (or " +
                endpoint_name + " to a full URL)");
  }
  std::string name;
  if (auto v = signal_or_generic(env, signal, "HEADERS", name))
    otlp.headers = parse_headers(*v, name);
  if (auto v = signal_or_generic(env, signal, "TIMEOUT", name)) {
    otlp.timeout = env.duration_ms(name, otlp.timeout);
  }
  if (auto v = signal_or_generic(env, signal, "COMPRESSION", name)) {
    otlp.compression = one_of(env, name, {"gzip", "none"}, "none") == "gzip"
                           ? exporters::OtlpCompression::kGzip
                           : exporters::OtlpCompression::kNone;
  }
  if (auto v = signal_or_generic(env, signal, "PROTOCOL", name)) {
    const std::string p =
        one_of(env, name, {"http/protobuf", "http/json", "grpc"}, "http/protobuf");
    otlp.protocol = p == "grpc"        ? exporters::OtlpProtocol::kGrpc
                    : p == "http/json" ? exporters::OtlpProtocol::kHttpJson
                                       : exporters::OtlpProtocol::kHttpProtobuf;
  }
  if (otlp.protocol == exporters::OtlpProtocol::kGrpc)
    otlp.endpoint = grpc_endpoint(env, endpoint_name);
  if (auto v = signal_or_generic(env, signal, "CERTIFICATE", name)) otlp.tls.ca_file = trim(*v);
  if (auto v = signal_or_generic(env, signal, "CLIENT_CERTIFICATE", name)) {
    otlp.tls.client_certificate = trim(*v);
  }
  if (auto v = signal_or_generic(env, signal, "CLIENT_KEY", name)) otlp.tls.client_key = trim(*v);
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
  const std::string t = one_of(env, "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
                               {"cumulative", "delta", "lowmemory"}, "cumulative");
  otlp.temporality = t == "delta"       ? metrics::TemporalityPreference::kDelta
                     : t == "lowmemory" ? metrics::TemporalityPreference::kLowMemory
                                        : metrics::TemporalityPreference::kCumulative;
  return otlp;
}

exporters::OtlpHttpLogExporterOptions read_otlp_logs(const Environment& env) {
  exporters::OtlpHttpLogExporterOptions otlp;
  read_otlp_transport(env, "LOGS", "/v1/logs", otlp);
  if (otlp.timeout.count() == 0) otlp.timeout = std::chrono::seconds(10);  // never infinite
  return otlp;
}

// OTEL_LOGS_EXPORTER; unset: console, and otlp when an OTLP endpoint is set (as for traces).
std::vector<LogExporterKind> read_log_exporters(const Environment& env) {
  std::vector<LogExporterKind> out;
  const auto add = [&out](LogExporterKind kind) {
    if (std::find(out.begin(), out.end(), kind) == out.end()) out.push_back(kind);
  };
  if (auto names = known_names(env, "OTEL_LOGS_EXPORTER", {"otlp", "console", "none"},
                               "(console, and otlp when an OTLP endpoint is set)")) {
    for (const std::string& name : *names) {
      if (name == "otlp") add(LogExporterKind::kOtlp);
      if (name == "console") add(LogExporterKind::kConsole);
    }
    return out;
  }
  add(LogExporterKind::kConsole);
  if (env.get("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT") || env.get("OTEL_EXPORTER_OTLP_ENDPOINT")) {
    add(LogExporterKind::kOtlp);
  }
  return out;
}

// A batching processor's queue, batch, delay and timeout from `prefix`MAX_QUEUE_SIZE and the
// three variables beside it (OTEL_BSP_* for spans, OTEL_BLRP_* for log records). The delay and
// timeout fall back to what `b` holds.
template <typename BatchOptions>
void read_batch(const Environment& env, const std::string& prefix, std::int64_t default_queue_size,
                BatchOptions& b) {
  const std::string queue_variable = prefix + "MAX_QUEUE_SIZE";
  const std::string batch_variable = prefix + "MAX_EXPORT_BATCH_SIZE";
  b.max_queue_size = static_cast<std::size_t>(env.integer(queue_variable, default_queue_size, 1));
  b.max_export_batch_size = static_cast<std::size_t>(env.integer(batch_variable, 512, 1));
  if (b.max_export_batch_size > b.max_queue_size) {
    // The specification: the batch size must not exceed the queue size. A whole queue per export
    // is the nearest setting that keeps both variables' intent.
    detail::warn_invalid_setting(
        batch_variable, std::to_string(b.max_export_batch_size),
        "at most " + queue_variable + " (" + std::to_string(b.max_queue_size) + ")",
        "the queue size, " + std::to_string(b.max_queue_size));
    b.max_export_batch_size = b.max_queue_size;
  }
  b.schedule_delay = env.duration_ms(prefix + "SCHEDULE_DELAY", b.schedule_delay);
  b.export_timeout = env.duration_ms(prefix + "EXPORT_TIMEOUT", b.export_timeout);
  if (b.export_timeout.count() == 0) b.export_timeout = std::chrono::seconds(30);  // never infinite
}

// OTEL_BLRP_*: the batching log record processor's.
log::BatchLogSinkOptions read_log_batch(const Environment& env) {
  log::BatchLogSinkOptions b;
  read_batch(env, "OTEL_BLRP_", 2048, b);
  return b;
}

std::vector<MetricExporterKind> read_metric_exporters(const Environment& env) {
  if (auto names = known_names(env, "OTEL_METRICS_EXPORTER",
                               {"otlp", "prometheus", "console", "none"}, "(prometheus)")) {
    std::vector<MetricExporterKind> out;
    for (const std::string& name : *names) {
      if (name == "none") continue;
      const MetricExporterKind kind = name == "otlp"         ? MetricExporterKind::kOtlp
                                      : name == "prometheus" ? MetricExporterKind::kPrometheus
                                                             : MetricExporterKind::kConsole;
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
    detail::warn_invalid_setting(name, env.get_or(name, ""), "a positive number of milliseconds",
                                 "the default " + std::to_string(fallback.count()) + " ms");
    return fallback;
  }
  return v;
}

std::vector<TraceExporterKind> read_exporters(const Environment& env) {
  if (auto names = known_names(env, "OTEL_TRACES_EXPORTER",
                               {"otlp", "zipkin", "jaeger", "console", "memory", "none"},
                               "(memory, or the exporter of the endpoint that is set)")) {
    std::vector<TraceExporterKind> out;
    for (const std::string& name : *names) {
      if (name == "otlp") {
        out.push_back(TraceExporterKind::kOtlp);
      } else if (name == "zipkin") {
        out.push_back(TraceExporterKind::kZipkin);
      } else if (name == "jaeger") {
        out.push_back(TraceExporterKind::kJaeger);
      } else if (name == "console") {
        out.push_back(TraceExporterKind::kConsole);
      } else if (name == "memory") {
        out.push_back(TraceExporterKind::kEmbedded);
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

// OTEL_LOG_LEVEL: the level of lumen's own diagnostics on stderr, process-wide. Read first, so
// that it applies to the warnings about the other variables.
void read_sdk_log_level(const Environment& env) {
  using detail::SdkLogLevel;
  detail::start_configuration_read();
  detail::set_sdk_log_level(SdkLogLevel::kInfo);
  const std::string level =
      one_of(env, "OTEL_LOG_LEVEL", {"none", "error", "warn", "info", "debug"}, "info");
  detail::set_sdk_log_level(level == "none"    ? SdkLogLevel::kNone
                            : level == "error" ? SdkLogLevel::kError
                            : level == "warn"  ? SdkLogLevel::kWarn
                            : level == "debug" ? SdkLogLevel::kDebug
                                               : SdkLogLevel::kInfo);
}

// OTEL_TRACES_SAMPLER and its argument; an unknown sampler or a ratio outside [0, 1] warns and
// falls back (the default sampler; a ratio of 1.0, as the specification's default argument).
void read_sampler(const Environment& env, TraceConfig& t) {
  t.sampler = one_of(env, "OTEL_TRACES_SAMPLER",
                     {"always_on", "always_off", "traceidratio", "parentbased_always_on",
                      "parentbased_always_off", "parentbased_traceidratio"},
                     t.sampler);
  t.sampler_arg.clear();
  if (t.sampler.ends_with("traceidratio") && env.get("OTEL_TRACES_SAMPLER_ARG")) {
    const double ratio = env.number("OTEL_TRACES_SAMPLER_ARG", 1.0, 0.0, 1.0);
    t.sampler_arg = std::to_string(ratio);
  }
}

// A TCP port from `name` (set), or `fallback` with a warning when the value is not one.
std::uint16_t port_of(const Environment& env, std::string_view name, std::uint16_t fallback) {
  const std::int64_t port = env.integer(name, fallback, 0);
  if (port > 65535) {
    detail::warn_invalid_setting(name, std::to_string(port), "a TCP port number (0 to 65535)",
                                 "the default " + std::to_string(fallback));
    return fallback;
  }
  return static_cast<std::uint16_t>(port);
}

// The admin endpoint: OTEL_EXPORTER_PROMETHEUS_HOST/PORT (the specification's names, warned and
// ignored when invalid) win over METRICS_HOST/PORT (lumen's own, whose bad values throw).
AdminConfig read_admin(const Environment& strict, const Environment& sdk) {
  AdminConfig a;
  a.enabled = strict.get("METRICS_PORT").has_value();
  if (a.enabled && strict.integer("METRICS_PORT", a.port, 0) > 65535) {
    throw Error("METRICS_PORT must be a TCP port number (0 to 65535), not '" +
                *strict.get("METRICS_PORT") + "'.");
  }
  a.port = static_cast<std::uint16_t>(strict.integer("METRICS_PORT", a.port, 0));
  a.host = trim(strict.get_or("METRICS_HOST", a.host));
  if (sdk.get("OTEL_EXPORTER_PROMETHEUS_PORT")) {
    a.enabled = true;
    a.port = port_of(sdk, "OTEL_EXPORTER_PROMETHEUS_PORT", a.port);
  }
  if (auto host = sdk.get("OTEL_EXPORTER_PROMETHEUS_HOST")) a.host = trim(*host);
  return a;
}

}  // namespace

Config Config::from_env(const Environment& process_env, std::string_view service_name) {
  read_sdk_log_level(process_env);
  // OTEL_* values that cannot be used warn and fall back to the default (the SDK specification).
  const Environment env = process_env.warning_on_invalid();
  Config config;
  config.resource = Resource::from_environment(env, service_name);
  TraceConfig& t = config.trace;
  t.enabled = !env.boolean("OTEL_SDK_DISABLED", false);
  t.exporters = read_exporters(env);
  read_sampler(env, t);

  read_batch(env, "OTEL_BSP_", 1000, t.batch);

  trace::SpanLimits& l = t.limits;
  const std::uint32_t unlimited = trace::SpanLimits::kUnlimited;
  l.attribute_count =
      limit(env, "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT", 128);
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
  if (auto v = env.get("OTEL_EXPORTER_ZIPKIN_ENDPOINT")) t.zipkin.endpoint = trim(*v);
  t.zipkin.timeout = positive_ms(env, "OTEL_EXPORTER_ZIPKIN_TIMEOUT", t.zipkin.timeout);

  config.admin = read_admin(process_env, env);

  config.log.options = log::LoggerOptions::from_environment(process_env, config.resource);
  config.log.files = log::LogFiles::from_environment(process_env);
  config.log.exporters = read_log_exporters(env);
  if (!t.enabled) {  // OTEL_SDK_DISABLED: no OTLP log export; the console stays, the application's
                     // log
    std::erase(config.log.exporters, LogExporterKind::kOtlp);
  }
  config.log.batch = read_log_batch(env);
  if (std::find(config.log.exporters.begin(), config.log.exporters.end(), LogExporterKind::kOtlp) !=
      config.log.exporters.end()) {
    config.log.otlp = read_otlp_logs(env);
  }

  MetricsConfig& m = config.metrics;
  m.enabled = t.enabled;
  m.exporters = read_metric_exporters(env);
  m.export_interval = positive_ms(env, "OTEL_METRIC_EXPORT_INTERVAL", m.export_interval);
  m.export_timeout = positive_ms(env, "OTEL_METRIC_EXPORT_TIMEOUT", m.export_timeout);
  if (std::find(m.exporters.begin(), m.exporters.end(), MetricExporterKind::kOtlp) !=
      m.exporters.end()) {
    m.otlp = read_otlp_metrics(env);
  }
  const std::string filter = one_of(env, "OTEL_METRICS_EXEMPLAR_FILTER",
                                    {"trace_based", "always_on", "always_off"}, "trace_based");
  m.exemplar_filter = filter == "always_on"    ? metrics::ExemplarFilter::kAlwaysOn
                      : filter == "always_off" ? metrics::ExemplarFilter::kAlwaysOff
                                               : metrics::ExemplarFilter::kTraceBased;
  detail::PropagatorsSetting propagators = detail::read_propagators(env);
  config.propagator = propagators.propagator;
  detail::warn_about_propagators_once(propagators.warning);
  return config;
}

}  // namespace lumen
