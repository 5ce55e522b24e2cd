#include <gtest/gtest.h>

#include "config_from.hpp"
#include "lumen/config.hpp"
#include "lumen/core/error.hpp"
#include "lumen/runtime.hpp"

namespace lumen {
namespace {

using namespace std::chrono_literals;

TEST(MetricsConfig, DefaultsArePrometheusEveryMinuteWithAThirtySecondTimeout) {
  const Config c = testing::config_from({});
  EXPECT_EQ(c.metrics.exporters, std::vector<MetricExporterKind>{MetricExporterKind::kPrometheus});
  EXPECT_EQ(c.metrics.export_interval, 60000ms);
  EXPECT_EQ(c.metrics.export_timeout, 30000ms);
  EXPECT_EQ(c.metrics.otlp.temporality, metrics::TemporalityPreference::kCumulative);
}

TEST(MetricsConfig, AnOtlpEndpointAddsOtlpAndGetsTheMetricsPath) {
  const Config c =
      testing::config_from({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/"}});
  EXPECT_EQ(c.metrics.exporters, (std::vector<MetricExporterKind>{MetricExporterKind::kPrometheus,
                                                                  MetricExporterKind::kOtlp}));
  EXPECT_EQ(c.metrics.otlp.endpoint, "http://collector:4318/v1/metrics");
}

TEST(MetricsConfig, MetricsSpecificVariablesWinOverTheGenericOnes) {
  const Config c =
      testing::config_from({{"OTEL_METRICS_EXPORTER", "otlp"},
                            {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://generic:4318"},
                            {"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://m:9/custom"},
                            {"OTEL_EXPORTER_OTLP_HEADERS", "a=1"},
                            {"OTEL_EXPORTER_OTLP_METRICS_HEADERS", "b=2"},
                            {"OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "1500"},
                            {"OTEL_EXPORTER_OTLP_METRICS_COMPRESSION", "gzip"},
                            {"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/json"},
                            {"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "Delta"},
                            {"OTEL_METRIC_EXPORT_INTERVAL", "5000"},
                            {"OTEL_METRIC_EXPORT_TIMEOUT", "2000"}});
  EXPECT_EQ(c.metrics.exporters, std::vector<MetricExporterKind>{MetricExporterKind::kOtlp});
  EXPECT_EQ(c.metrics.otlp.endpoint, "http://m:9/custom");  // used as given
  ASSERT_EQ(c.metrics.otlp.headers.size(), 1U);
  EXPECT_EQ(c.metrics.otlp.headers[0].first, "b");
  EXPECT_EQ(c.metrics.otlp.timeout, 1500ms);
  EXPECT_EQ(c.metrics.otlp.compression, exporters::OtlpCompression::kGzip);
  EXPECT_EQ(c.metrics.otlp.protocol, exporters::OtlpProtocol::kHttpJson);
  EXPECT_EQ(c.metrics.otlp.temporality, metrics::TemporalityPreference::kDelta);
  EXPECT_EQ(c.metrics.export_interval, 5000ms);
  EXPECT_EQ(c.metrics.export_timeout, 2000ms);
  EXPECT_EQ(
      testing::config_from({{"OTEL_METRICS_EXPORTER", "otlp"},
                            {"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "lowmemory"}})
          .metrics.otlp.temporality,
      metrics::TemporalityPreference::kLowMemory);
}

TEST(MetricsConfig, NoneAndAListAreUnderstood) {
  EXPECT_TRUE(testing::config_from({{"OTEL_METRICS_EXPORTER", "none"}}).metrics.exporters.empty());
  EXPECT_EQ(
      testing::config_from({{"OTEL_METRICS_EXPORTER", "prometheus, console"}}).metrics.exporters,
      (std::vector<MetricExporterKind>{MetricExporterKind::kPrometheus,
                                       MetricExporterKind::kConsole}));
}

TEST(MetricsConfig, BadValuesWarnAndTheDefaultsApply) {
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(testing::config_from({{"OTEL_METRICS_EXPORTER", "statsd"}}).metrics.exporters,
            (std::vector<MetricExporterKind>{MetricExporterKind::kPrometheus}));
  EXPECT_EQ(
      testing::config_from({{"OTEL_METRICS_EXPORTER", "otlp"},
                            {"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "sometimes"}})
          .metrics.otlp.temporality,
      metrics::TemporalityPreference::kCumulative);
  EXPECT_EQ(testing::config_from({{"OTEL_METRIC_EXPORT_INTERVAL", "0"}}).metrics.export_interval,
            std::chrono::milliseconds(60000));
  EXPECT_EQ(testing::config_from({{"OTEL_METRIC_EXPORT_TIMEOUT", "soon"}}).metrics.export_timeout,
            std::chrono::milliseconds(30000));
  const std::string warnings = ::testing::internal::GetCapturedStderr();
  for (const char* expected :
       {"OTEL_METRICS_EXPORTER='statsd' is not valid", "using the default (prometheus)",
        "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE='sometimes' is not valid",
        "using the default cumulative", "OTEL_METRIC_EXPORT_INTERVAL='0' is not valid",
        "using the default 60000 ms", "OTEL_METRIC_EXPORT_TIMEOUT='soon' is not valid"}) {
    EXPECT_NE(warnings.find(expected), std::string::npos) << expected << " in:\n" << warnings;
  }
}

const metrics::MetricData* find(const metrics::MetricsSnapshot& snap, const std::string& name) {
  for (const auto& m : snap.metrics) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

TEST(MetricsConfig, RuntimeOffersAMeterProviderWithTheConfiguredResource) {
  Config config = testing::config_from({{"OTEL_SERVICE_NAME", "svc"},
                                        {"OTEL_METRICS_EXPORTER", "none"},
                                        {"OTEL_TRACES_EXPORTER", "none"}});
  Runtime rt(std::move(config));
  auto c = rt.meter("app").create_counter("jobs");
  c.add(2);
  const metrics::MetricsSnapshot snap = rt.meter_provider().collect();
  EXPECT_EQ(snap.resource.attributes(), rt.config().resource.attributes());
  const metrics::MetricData* jobs = find(snap, "jobs");
  ASSERT_NE(jobs, nullptr);
  EXPECT_EQ(jobs->number_points.at(0).int_value, 2);
  EXPECT_EQ(rt.metric_export_stats().exports, 0U);  // no push exporter configured
}

TEST(MetricsConfig, UnnamedTracerAndMeterTakeTheServiceName) {
  Runtime rt(
      Config::from_env(Environment(std::map<std::string, std::string>{
                           {"OTEL_METRICS_EXPORTER", "none"}, {"OTEL_TRACES_EXPORTER", "none"}}),
                       "checkout"));
  EXPECT_EQ(rt.config().resource.service_name(), "checkout");
  EXPECT_EQ(rt.tracer().scope().name, "checkout");
  auto c = rt.meter().create_counter("orders");
  c.add(1);
  const metrics::MetricsSnapshot snap = rt.meter_provider().collect();
  const metrics::MetricData* orders = find(snap, "orders");
  ASSERT_NE(orders, nullptr);
  EXPECT_EQ(orders->scope, "checkout");
}

TEST(MetricsConfig, RuntimeRegistersProcessMetricsAndSpanPipelineHealth) {
  Runtime rt(
      testing::config_from({{"OTEL_METRICS_EXPORTER", "none"}}));  // traces: the embedded store
  const metrics::MetricsSnapshot snap = rt.meter_provider().collect();
  const metrics::MetricData* rss = find(snap, "process_resident_memory_bytes");
  ASSERT_NE(rss, nullptr);
  EXPECT_GT(rss->number_points.at(0).int_value, 0);
  const metrics::MetricData* dropped = find(snap, "lumen.spans.dropped");
  ASSERT_NE(dropped, nullptr);
  EXPECT_EQ(dropped->number_points.at(0).int_value, 0);
}

TEST(MetricsConfig, SdkDisabledRegistersNothingOfItsOwn) {
  Runtime rt(testing::config_from({{"OTEL_SDK_DISABLED", "true"}}));
  EXPECT_TRUE(rt.meter_provider().collect().metrics.empty());
}

}  // namespace
}  // namespace lumen
