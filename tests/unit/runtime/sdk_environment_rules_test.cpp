// The OpenTelemetry SDK's environment rules as lumen::Config applies them: an OTEL_* value that
// cannot be used warns once (variable, value, default used) and the default applies; OTEL_LOG_LEVEL
// filters those warnings; OTEL_SDK_DISABLED turns the SDK's signals off; the standard names of
// the Prometheus endpoint, the TLS files and the exemplar filter are read; a malformed endpoint is
// still a start-up error.
#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "config_from.hpp"
#include "http_client.hpp"
#include "lumen/config.hpp"
#include "lumen/core/error.hpp"
#include "lumen/runtime.hpp"

namespace lumen {
namespace {

using Vars = std::map<std::string, std::string>;

using testing::config_from;

// The configuration and what it wrote to stderr.
std::pair<Config, std::string> from_with_warnings(const Vars& vars) {
  ::testing::internal::CaptureStderr();
  Config c = testing::config_from(vars);
  return {std::move(c), ::testing::internal::GetCapturedStderr()};
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// One warning line naming the variable and its value, and saying what is used instead.
void expect_one_warning(const std::string& warnings, const std::string& variable,
                        const std::string& value, const std::string& used) {
  EXPECT_EQ(count(warnings, variable + "='" + value + "' is not valid"), 1u) << warnings;
  EXPECT_NE(warnings.find("using " + used), std::string::npos) << warnings;
  EXPECT_EQ(count(warnings, "\n"), 1u) << warnings;
}

TEST(SdkEnvironment, SdkDisabledThatIsNotABooleanWarnsAndTheSdkStaysOn) {
  const auto [c, warnings] = from_with_warnings({{"OTEL_SDK_DISABLED", "yes"}});
  EXPECT_TRUE(c.trace.enabled);
  EXPECT_TRUE(c.metrics.enabled);
  expect_one_warning(warnings, "OTEL_SDK_DISABLED", "yes", "the default false");
}

TEST(SdkEnvironment, UnknownSamplerWarnsAndTheDefaultSamplerApplies) {
  const auto [c, warnings] = from_with_warnings({{"OTEL_TRACES_SAMPLER", "sometimes"}});
  EXPECT_EQ(c.trace.sampler, "parentbased_always_on");
  expect_one_warning(warnings, "OTEL_TRACES_SAMPLER", "sometimes",
                     "the default parentbased_always_on");
  Runtime rt(c);
  EXPECT_TRUE(rt.tracer().start("x").is_recording());
}

TEST(SdkEnvironment, SamplerRatioOutsideZeroToOneWarnsAndSamplesEverything) {
  const auto [c, warnings] = from_with_warnings(
      {{"OTEL_TRACES_SAMPLER", "traceidratio"}, {"OTEL_TRACES_SAMPLER_ARG", "1.5"}});
  expect_one_warning(warnings, "OTEL_TRACES_SAMPLER_ARG", "1.5", "the default 1");
  Runtime rt(c);
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(rt.tracer().start("x").is_recording());
}

TEST(SdkEnvironment, QueueSmallerThanTheDefaultBatchShrinksTheBatchToTheQueue) {
  const auto [c, warnings] = from_with_warnings({{"OTEL_BSP_MAX_QUEUE_SIZE", "2"}});
  EXPECT_EQ(c.trace.batch.max_queue_size, 2u);
  EXPECT_EQ(c.trace.batch.max_export_batch_size, 2u);
  expect_one_warning(warnings, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "512", "the queue size, 2");
  EXPECT_NE(warnings.find("at most OTEL_BSP_MAX_QUEUE_SIZE (2)"), std::string::npos) << warnings;
  Runtime rt(c);  // starts
}

TEST(SdkEnvironment, BadNumbersAndDurationsWarnAndTheDefaultsApply) {
  auto [c, warnings] = from_with_warnings({{"OTEL_BSP_MAX_QUEUE_SIZE", "lots"}});
  EXPECT_EQ(c.trace.batch.max_queue_size, 1000u);
  expect_one_warning(warnings, "OTEL_BSP_MAX_QUEUE_SIZE", "lots", "the default 1000");
  std::tie(c, warnings) = from_with_warnings({{"OTEL_BSP_MAX_QUEUE_SIZE", "0"}});
  EXPECT_EQ(c.trace.batch.max_queue_size, 1000u);
  expect_one_warning(warnings, "OTEL_BSP_MAX_QUEUE_SIZE", "0", "the default 1000");
  std::tie(c, warnings) = from_with_warnings({{"OTEL_BSP_SCHEDULE_DELAY", "soon"}});
  EXPECT_EQ(c.trace.batch.schedule_delay, std::chrono::milliseconds(5000));
  expect_one_warning(warnings, "OTEL_BSP_SCHEDULE_DELAY", "soon", "the default 5000 ms");
  std::tie(c, warnings) = from_with_warnings({{"OTEL_SPAN_EVENT_COUNT_LIMIT", "-3"}});
  EXPECT_EQ(c.trace.limits.event_count, 128u);
  expect_one_warning(warnings, "OTEL_SPAN_EVENT_COUNT_LIMIT", "-3", "the default 128");
  std::tie(c, warnings) =
      from_with_warnings({{"OTEL_TRACES_EXPORTER", "otlp"}, {"OTEL_EXPORTER_OTLP_TIMEOUT", "10s"}});
  EXPECT_EQ(c.trace.otlp.timeout, std::chrono::milliseconds(10000));
  expect_one_warning(warnings, "OTEL_EXPORTER_OTLP_TIMEOUT", "10s", "the default 10000 ms");
}

TEST(SdkEnvironment, UnknownExporterNamesWarnAndTheKnownOnesOrTheDefaultApply) {
  auto [c, warnings] = from_with_warnings({{"OTEL_TRACES_EXPORTER", "bogus"}});
  EXPECT_EQ(c.trace.exporters, std::vector<TraceExporterKind>{TraceExporterKind::kEmbedded});
  expect_one_warning(warnings, "OTEL_TRACES_EXPORTER", "bogus", "the default");
  std::tie(c, warnings) = from_with_warnings({{"OTEL_TRACES_EXPORTER", "otlp,bogus"}});
  EXPECT_EQ(c.trace.exporters, std::vector<TraceExporterKind>{TraceExporterKind::kOtlp});
  expect_one_warning(warnings, "OTEL_TRACES_EXPORTER", "otlp,bogus", "otlp");
  std::tie(c, warnings) = from_with_warnings({{"OTEL_METRICS_EXPORTER", "statsd,console"}});
  EXPECT_EQ(c.metrics.exporters, std::vector<MetricExporterKind>{MetricExporterKind::kConsole});
  expect_one_warning(warnings, "OTEL_METRICS_EXPORTER", "statsd,console", "console");
}

TEST(SdkEnvironment, BadOtlpTransportValuesWarnAndTheDefaultsApply) {
  auto [c, warnings] = from_with_warnings(
      {{"OTEL_TRACES_EXPORTER", "otlp"}, {"OTEL_EXPORTER_OTLP_COMPRESSION", "zstd"}});
  EXPECT_EQ(c.trace.otlp.compression, exporters::OtlpCompression::kNone);
  expect_one_warning(warnings, "OTEL_EXPORTER_OTLP_COMPRESSION", "zstd", "the default none");
  std::tie(c, warnings) = from_with_warnings(
      {{"OTEL_TRACES_EXPORTER", "otlp"}, {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "thrift"}});
  EXPECT_EQ(c.trace.otlp.protocol, exporters::OtlpProtocol::kHttpProtobuf);
  expect_one_warning(warnings, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "thrift",
                     "the default http/protobuf");
  std::tie(c, warnings) = from_with_warnings(
      {{"OTEL_TRACES_EXPORTER", "otlp"}, {"OTEL_EXPORTER_OTLP_HEADERS", "api-key=a,broken"}});
  EXPECT_TRUE(c.trace.otlp.headers.empty());
  expect_one_warning(warnings, "OTEL_EXPORTER_OTLP_HEADERS", "api-key=a,broken",
                     "no extra headers");
}

TEST(SdkEnvironment, AGenericVariableReadForTwoSignalsWarnsOnce) {
  const auto [c, warnings] = from_with_warnings({{"OTEL_TRACES_EXPORTER", "otlp"},
                                                 {"OTEL_METRICS_EXPORTER", "otlp"},
                                                 {"OTEL_EXPORTER_OTLP_TIMEOUT", "10s"}});
  EXPECT_EQ(c.trace.otlp.timeout, std::chrono::milliseconds(10000));
  EXPECT_EQ(c.metrics.otlp.timeout, std::chrono::milliseconds(10000));
  expect_one_warning(warnings, "OTEL_EXPORTER_OTLP_TIMEOUT", "10s", "the default 10000 ms");
  // The next configuration read warns again.
  const auto [again, second] =
      from_with_warnings({{"OTEL_EXPORTER_OTLP_TIMEOUT", "10s"}, {"OTEL_TRACES_EXPORTER", "otlp"}});
  expect_one_warning(second, "OTEL_EXPORTER_OTLP_TIMEOUT", "10s", "the default 10000 ms");
}

TEST(SdkEnvironment, LogLevelFiltersTheSdksOwnWarnings) {
  auto [c, warnings] =
      from_with_warnings({{"OTEL_LOG_LEVEL", "error"}, {"OTEL_BSP_MAX_QUEUE_SIZE", "lots"}});
  EXPECT_EQ(c.trace.batch.max_queue_size, 1000u);
  EXPECT_EQ(warnings, "");
  std::tie(c, warnings) =
      from_with_warnings({{"OTEL_LOG_LEVEL", "none"}, {"OTEL_SDK_DISABLED", "maybe"}});
  EXPECT_EQ(warnings, "");
  std::tie(c, warnings) =
      from_with_warnings({{"OTEL_LOG_LEVEL", "warn"}, {"OTEL_BSP_MAX_QUEUE_SIZE", "lots"}});
  EXPECT_EQ(count(warnings, "OTEL_BSP_MAX_QUEUE_SIZE='lots'"), 1u) << warnings;
  std::tie(c, warnings) = from_with_warnings({{"OTEL_LOG_LEVEL", "chatty"}});
  expect_one_warning(warnings, "OTEL_LOG_LEVEL", "chatty", "the default info");
  // Each configuration read sets the level again: unset is info, which shows warnings.
  std::tie(c, warnings) = from_with_warnings({{"OTEL_BSP_MAX_QUEUE_SIZE", "lots"}});
  EXPECT_EQ(count(warnings, "OTEL_BSP_MAX_QUEUE_SIZE='lots'"), 1u) << warnings;
}

TEST(SdkEnvironment, ExemplarFilterIsReadAndAnUnknownValueWarns) {
  EXPECT_EQ(config_from({}).metrics.exemplar_filter, metrics::ExemplarFilter::kTraceBased);
  EXPECT_EQ(config_from({{"OTEL_METRICS_EXEMPLAR_FILTER", "always_off"}}).metrics.exemplar_filter,
            metrics::ExemplarFilter::kAlwaysOff);
  EXPECT_EQ(config_from({{"OTEL_METRICS_EXEMPLAR_FILTER", "always_on"}}).metrics.exemplar_filter,
            metrics::ExemplarFilter::kAlwaysOn);
  EXPECT_EQ(config_from({{"OTEL_METRICS_EXEMPLAR_FILTER", "TRACE_BASED"}}).metrics.exemplar_filter,
            metrics::ExemplarFilter::kTraceBased);
  auto [c, warnings] = from_with_warnings({{"OTEL_METRICS_EXEMPLAR_FILTER", "sometimes"}});
  EXPECT_EQ(c.metrics.exemplar_filter, metrics::ExemplarFilter::kTraceBased);
  expect_one_warning(warnings, "OTEL_METRICS_EXEMPLAR_FILTER", "sometimes",
                     "the default trace_based");
}

TEST(SdkEnvironment, AlwaysOffExemplarFilterLeavesHistogramsWithoutExemplars) {
  Runtime rt(config_from(
      {{"OTEL_METRICS_EXEMPLAR_FILTER", "always_off"}, {"OTEL_METRICS_EXPORTER", "none"}}));
  auto latency = rt.meter().create_histogram("work.duration", {.unit = "s"});
  rt.tracer().trace("work", [&] { latency.record(0.2); });
  for (const auto& m : rt.meter_provider().collect().metrics) {
    if (m.name != "work.duration") continue;
    ASSERT_EQ(m.histogram_points.size(), 1u);
    for (const auto& e : m.histogram_points[0].exemplars) EXPECT_FALSE(e.has_value());
    return;
  }
  ADD_FAILURE() << "no work.duration";
}

TEST(SdkEnvironment, PrometheusHostAndPortAreTheStandardNamesAndWin) {
  Config c = config_from({{"OTEL_EXPORTER_PROMETHEUS_PORT", "9999"}});
  EXPECT_TRUE(c.admin.enabled);
  EXPECT_EQ(c.admin.port, 9999);
  EXPECT_EQ(c.admin.host, "127.0.0.1");
  c = config_from({{"OTEL_EXPORTER_PROMETHEUS_PORT", "9999"},
                   {"METRICS_PORT", "9100"},
                   {"OTEL_EXPORTER_PROMETHEUS_HOST", "0.0.0.0"},
                   {"METRICS_HOST", "10.0.0.1"}});
  EXPECT_EQ(c.admin.port, 9999);
  EXPECT_EQ(c.admin.host, "0.0.0.0");
  auto [bad, warnings] =
      from_with_warnings({{"OTEL_EXPORTER_PROMETHEUS_PORT", "70000"}, {"METRICS_PORT", "9100"}});
  EXPECT_TRUE(bad.admin.enabled);
  EXPECT_EQ(bad.admin.port, 9100);
  expect_one_warning(warnings, "OTEL_EXPORTER_PROMETHEUS_PORT", "70000", "the default 9100");
}

// End to end: the Runtime's Prometheus endpoint listens where the standard names say, not on
// METRICS_PORT, and answers a scrape with the application's metrics.
TEST(SdkEnvironment, TheRuntimeServesMetricsOnThePrometheusPortTheStandardNameGives) {
  const std::uint16_t standard = lumen::testing::free_loopback_port();
  const std::uint16_t other = lumen::testing::free_loopback_port();
  ASSERT_NE(standard, other);
  Runtime rt(config_from({{"OTEL_EXPORTER_PROMETHEUS_PORT", std::to_string(standard)},
                          {"OTEL_EXPORTER_PROMETHEUS_HOST", "127.0.0.1"},
                          {"METRICS_PORT", std::to_string(other)},
                          {"OTEL_METRICS_EXPORTER", "prometheus"}}));
  ASSERT_NE(rt.admin(), nullptr);
  EXPECT_EQ(rt.admin()->port(), standard);
  rt.meter().create_counter("orders").add(3);
  const auto scrape = lumen::testing::http_get(standard, "/metrics");
  EXPECT_EQ(scrape.status, 200);
  EXPECT_NE(scrape.body.find("orders_total 3"), std::string::npos) << scrape.body;
  EXPECT_THROW((void)lumen::testing::http_get(other, "/metrics"), std::runtime_error);
}

TEST(SdkEnvironment, TlsFilesAreReadForEachSignalWithTheSignalsOwnWinning) {
  const Config c = config_from({{"OTEL_TRACES_EXPORTER", "otlp"},
                                {"OTEL_METRICS_EXPORTER", "otlp"},
                                {"OTEL_EXPORTER_OTLP_CERTIFICATE", "/ca.pem"},
                                {"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "/client.pem"},
                                {"OTEL_EXPORTER_OTLP_CLIENT_KEY", "/client.key"},
                                {"OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE", "/metrics-ca.pem"},
                                {"OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", "/traces.key"}});
  EXPECT_EQ(c.trace.otlp.tls.ca_file, "/ca.pem");
  EXPECT_EQ(c.trace.otlp.tls.client_certificate, "/client.pem");
  EXPECT_EQ(c.trace.otlp.tls.client_key, "/traces.key");
  EXPECT_EQ(c.metrics.otlp.tls.ca_file, "/metrics-ca.pem");
  EXPECT_EQ(c.metrics.otlp.tls.client_certificate, "/client.pem");
  EXPECT_EQ(c.metrics.otlp.tls.client_key, "/client.key");
}

TEST(SdkEnvironment, ZipkinExporterAndItsVariables) {
  Config c = config_from({{"OTEL_TRACES_EXPORTER", "zipkin"}});
  EXPECT_EQ(c.trace.exporters, std::vector<TraceExporterKind>{TraceExporterKind::kZipkin});
  EXPECT_EQ(c.trace.zipkin.endpoint, "http://localhost:9411/api/v2/spans");
  EXPECT_EQ(c.trace.zipkin.timeout, std::chrono::milliseconds(10000));
  c = config_from({{"OTEL_TRACES_EXPORTER", "zipkin"},
                   {"OTEL_EXPORTER_ZIPKIN_ENDPOINT", "http://zipkin:9411/api/v2/spans"},
                   {"OTEL_EXPORTER_ZIPKIN_TIMEOUT", "2500"}});
  EXPECT_EQ(c.trace.zipkin.endpoint, "http://zipkin:9411/api/v2/spans");
  EXPECT_EQ(c.trace.zipkin.timeout, std::chrono::milliseconds(2500));
}

TEST(SdkEnvironment, MalformedEndpointUrlsFailAtStartUp) {
  for (const std::string url : {"http://[::1", "http://host:99999", "http://", "https://:4318"}) {
    SCOPED_TRACE(url);
    EXPECT_THROW(Runtime(config_from({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", url}})), Error);
    EXPECT_THROW(Runtime(config_from({{"OTEL_METRICS_EXPORTER", "otlp"},
                                      {"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", url}})),
                 Error);
    EXPECT_THROW(Runtime(config_from(
                     {{"OTEL_TRACES_EXPORTER", "zipkin"}, {"OTEL_EXPORTER_ZIPKIN_ENDPOINT", url}})),
                 Error);
    EXPECT_THROW(Runtime(config_from(
                     {{"OTEL_TRACES_EXPORTER", "jaeger"}, {"OTEL_EXPORTER_JAEGER_ENDPOINT", url}})),
                 Error);
    EXPECT_THROW(Runtime(config_from(
                     {{"OTEL_LOGS_EXPORTER", "otlp"}, {"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", url}})),
                 Error);
  }
  try {
    Runtime rt(config_from({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://[::1"}}));
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("http://[::1"), std::string::npos) << e.what();
  }
  // A valid IPv6 URL starts (nothing is exported: no span, no metric exporter).
  Runtime fine(config_from(
      {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://[::1]:4318"}, {"OTEL_METRICS_EXPORTER", "none"}}));
}

TEST(SdkEnvironment, SdkDisabledMakesTheApplicationsMetricsNoOpsAndServesNone) {
  Runtime rt(config_from({{"OTEL_SDK_DISABLED", "true"}, {"METRICS_PORT", "0"}}));
  auto orders = rt.meter().create_counter("orders");
  orders.add(3);
  auto latency = rt.meter_provider().meter("checkout").create_histogram("checkout.duration");
  latency.record(0.5);
  EXPECT_TRUE(rt.meter_provider().collect().metrics.empty());
  ASSERT_NE(rt.admin(),
            nullptr);  // the endpoint still serves /healthz and the application's routes
  const auto scrape = lumen::testing::http_get(rt.admin()->port(), "/metrics");
  EXPECT_EQ(scrape.status, 200);
  EXPECT_EQ(scrape.body.find("orders"), std::string::npos) << scrape.body;
  EXPECT_EQ(scrape.body.find("process_resident_memory"), std::string::npos) << scrape.body;
  EXPECT_EQ(scrape.body.find("lumen_"), std::string::npos) << scrape.body;
  EXPECT_EQ(rt.span_stats().queued, 0u);
  EXPECT_FALSE(rt.tracer().start("ignored").is_recording());
}

TEST(SdkEnvironment, SdkDisabledKeepsTheApplicationsLog) {
  Runtime rt(config_from({{"OTEL_SDK_DISABLED", "true"}, {"LOG_LEVEL", "info"}}));
  const auto before = rt.logger().stats().written;
  rt.logger().info("still logged");
  ASSERT_TRUE(rt.logger().flush(std::chrono::seconds(5)));
  EXPECT_EQ(rt.logger().stats().written, before + 1);
}

}  // namespace
}  // namespace lumen
