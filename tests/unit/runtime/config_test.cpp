#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "config_from.hpp"
#include "lumen/config.hpp"
#include "lumen/core/error.hpp"
#include "lumen/export/memory_exporter.hpp"
#include "lumen/runtime.hpp"

namespace lumen {
namespace {

using testing::config_from;
std::string error_of(const std::map<std::string, std::string>& vars) {
  return testing::config_error(vars);
}

TEST(Config, DefaultsMatchTheOriginalDesign) {
  const Config c = config_from({});
  EXPECT_EQ(c.trace.batch.max_queue_size, 1000u);
  EXPECT_EQ(c.trace.batch.max_export_batch_size, 512u);
  EXPECT_EQ(c.trace.batch.schedule_delay, std::chrono::milliseconds(5000));
  EXPECT_EQ(c.trace.batch.export_timeout, std::chrono::milliseconds(30000));
  EXPECT_EQ(c.trace.sampler, "parentbased_always_on");
  ASSERT_EQ(c.trace.exporters.size(), 1u);
  EXPECT_EQ(c.trace.exporters[0], TraceExporterKind::kEmbedded);
  EXPECT_EQ(c.resource.service_name(), "unknown_service:unit_tests");
  EXPECT_TRUE(c.trace.enabled);
}

TEST(Config, BatchProcessorVariablesOverrideDefaults) {
  const Config c = config_from({{"OTEL_BSP_MAX_QUEUE_SIZE", "4096"},
                                {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "256"},
                                {"OTEL_BSP_SCHEDULE_DELAY", "250"},
                                {"OTEL_BSP_EXPORT_TIMEOUT", "1500"}});
  EXPECT_EQ(c.trace.batch.max_queue_size, 4096u);
  EXPECT_EQ(c.trace.batch.max_export_batch_size, 256u);
  EXPECT_EQ(c.trace.batch.schedule_delay, std::chrono::milliseconds(250));
  EXPECT_EQ(c.trace.batch.export_timeout, std::chrono::milliseconds(1500));
}

TEST(Config, ZeroExportTimeoutStaysFinite) {
  EXPECT_EQ(config_from({{"OTEL_BSP_EXPORT_TIMEOUT", "0"}}).trace.batch.export_timeout,
            std::chrono::milliseconds(30000));
}

TEST(Config, AMalformedEndpointIsStillAnError) {
  EXPECT_NE(error_of({{"OTEL_EXPORTER_OTLP_ENDPOINT", "localhost:4318"}}).find("http://"),
            std::string::npos);
}

TEST(Config, OtlpEndpointGetsTheSignalPathButTheTracesEndpointIsUsedAsGiven) {
  Config c = config_from({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/"}});
  ASSERT_EQ(c.trace.exporters.size(), 1u);
  EXPECT_EQ(c.trace.exporters[0], TraceExporterKind::kOtlp);
  EXPECT_EQ(c.trace.otlp.endpoint, "http://collector:4318/v1/traces");
  c = config_from({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"},
                   {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:9999/custom"}});
  EXPECT_EQ(c.trace.otlp.endpoint, "http://traces:9999/custom");
}

TEST(Config, OtlpHeadersTimeoutCompressionAndProtocol) {
  const Config c = config_from({{"OTEL_TRACES_EXPORTER", "otlp"},
                                {"OTEL_EXPORTER_OTLP_HEADERS", "api-key=abc%20def, tenant=beauty"},
                                {"OTEL_EXPORTER_OTLP_TIMEOUT", "2500"},
                                {"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "gzip"},
                                {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"}});
  ASSERT_EQ(c.trace.otlp.headers.size(), 2u);
  EXPECT_EQ(c.trace.otlp.headers[0], (std::pair<std::string, std::string>{"api-key", "abc def"}));
  EXPECT_EQ(c.trace.otlp.headers[1], (std::pair<std::string, std::string>{"tenant", "beauty"}));
  EXPECT_EQ(c.trace.otlp.timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(c.trace.otlp.compression, exporters::OtlpCompression::kGzip);
  EXPECT_EQ(c.trace.otlp.protocol, exporters::OtlpProtocol::kHttpJson);
}

TEST(Config, JaegerEndpointAloneSelectsJaeger) {
  const Config c = config_from({{"JAEGER_ENDPOINT", "http://127.0.0.1:14268/api/traces"}});
  ASSERT_EQ(c.trace.exporters.size(), 1u);
  EXPECT_EQ(c.trace.exporters[0], TraceExporterKind::kJaeger);
  EXPECT_EQ(c.trace.jaeger.endpoint, "http://127.0.0.1:14268/api/traces");
  // An OTLP endpoint wins when both are set and no exporter is named.
  EXPECT_EQ(config_from({{"JAEGER_ENDPOINT", "http://a:14268/api/traces"},
                         {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://b:4318"}})
                .trace.exporters[0],
            TraceExporterKind::kOtlp);
}

TEST(Config, ExporterListAndNone) {
  const Config both = config_from({{"OTEL_TRACES_EXPORTER", "otlp, console"}});
  ASSERT_EQ(both.trace.exporters.size(), 2u);
  EXPECT_EQ(both.trace.exporters[1], TraceExporterKind::kConsole);
  EXPECT_TRUE(config_from({{"OTEL_TRACES_EXPORTER", "none"}}).trace.exporters.empty());
}

TEST(Config, SpanLimitsFallBackToTheGenericAttributeLimit) {
  const Config c = config_from({{"OTEL_ATTRIBUTE_COUNT_LIMIT", "16"},
                                {"OTEL_SPAN_EVENT_COUNT_LIMIT", "4"},
                                {"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "64"}});
  EXPECT_EQ(c.trace.limits.attribute_count, 16u);
  EXPECT_EQ(c.trace.limits.attributes_per_event, 16u);
  EXPECT_EQ(c.trace.limits.event_count, 4u);
  EXPECT_EQ(c.trace.limits.attribute_value_length, 64u);
  EXPECT_EQ(
      config_from({{"OTEL_ATTRIBUTE_COUNT_LIMIT", "16"}, {"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "8"}})
          .trace.limits.attribute_count,
      8u);
}

TEST(Runtime, EmbeddedDefaultKeepsRecentSpans) {
  Runtime rt(config_from({{"OTEL_BSP_SCHEDULE_DELAY", "10"}}));
  rt.tracer().trace("outer", [&] { rt.tracer().trace("inner", [] {}); });
  ASSERT_TRUE(rt.flush(std::chrono::seconds(10)));
  ASSERT_NE(rt.recent_spans(), nullptr);
  EXPECT_EQ(rt.recent_spans()->size(), 2u);
  EXPECT_EQ(rt.span_stats().exported, 2u);
}

// With the embedded store as the only exporter, a span is in the store once it has ended, from
// any thread: no flush, whatever the batch processor's delay says.
TEST(Runtime, TheEmbeddedStoreAloneHoldsEachSpanOnceItEnds) {
  Config config = config_from({{"OTEL_BSP_SCHEDULE_DELAY", "600000"}});
  // Room for every span in any one CPU's part, however many CPUs share the capacity.
  config.trace.embedded_capacity = 100'000;
  Runtime rt(std::move(config));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&rt] {
      for (int i = 0; i < 100; ++i) rt.tracer().start("ended").end();
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_NE(rt.recent_spans(), nullptr);
  EXPECT_EQ(rt.recent_spans()->size(), 400u);
  EXPECT_EQ(rt.span_stats().exported, 400u);
  EXPECT_EQ(rt.span_stats().queue_size, 0u);
  { auto span = rt.tracer().start("the last"); }
  const std::vector<trace::SpanData> spans = rt.recent_spans()->spans();
  ASSERT_EQ(spans.size(), 401u);
  EXPECT_EQ(spans.back().name, "the last");
  EXPECT_TRUE(rt.shutdown(std::chrono::seconds(2)));
  rt.tracer().start("after shutdown").end();
  EXPECT_EQ(rt.recent_spans()->size(), 401u);
}

TEST(Runtime, SdkDisabledRecordsNothing) {
  Runtime rt(config_from({{"OTEL_SDK_DISABLED", "true"}}));
  auto span = rt.tracer().start("ignored");
  EXPECT_FALSE(span.is_recording());
  EXPECT_TRUE(span.context().is_valid());  // still propagates
  EXPECT_EQ(rt.recent_spans(), nullptr);
}

TEST(Runtime, SamplerFromTheEnvironmentApplies) {
  Runtime rt(config_from({{"OTEL_TRACES_SAMPLER", "always_off"}}));
  EXPECT_FALSE(rt.tracer().start("x").is_recording());
}

}  // namespace
}  // namespace lumen

namespace lumen {
namespace {

TEST(Config, AdminEndpointIsServedOnlyWhenMetricsPortIsSet) {
  const Config quiet = Config::from_env(Environment(std::map<std::string, std::string>{}));
  EXPECT_FALSE(quiet.admin.enabled);
  EXPECT_EQ(quiet.admin.port, 9464);
  EXPECT_EQ(quiet.admin.host, "127.0.0.1");

  const Config serving = Config::from_env(Environment(
      std::map<std::string, std::string>{{"METRICS_PORT", "0"}, {"METRICS_HOST", "0.0.0.0"}}));
  EXPECT_TRUE(serving.admin.enabled);
  EXPECT_EQ(serving.admin.port, 0);
  EXPECT_EQ(serving.admin.host, "0.0.0.0");
}

TEST(Config, BadMetricsPortIsAClearError) {
  for (const char* bad : {"70000", "-1", "http"}) {
    try {
      (void)Config::from_env(
          Environment(std::map<std::string, std::string>{{"METRICS_PORT", bad}}));
      ADD_FAILURE() << "accepted METRICS_PORT=" << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("METRICS_PORT"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace lumen
