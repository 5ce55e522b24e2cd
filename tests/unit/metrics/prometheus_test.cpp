#include "lumen/metrics/prometheus.hpp"

#include <gtest/gtest.h>

#include "lumen/core/context.hpp"
#include "lumen/metrics/meter.hpp"

namespace lumen::metrics {
namespace {

MetricData counter(std::string name, std::int64_t v, Attributes attrs = {}) {
  MetricData m;
  m.name = std::move(name);
  m.description = "Requests served";
  m.type = MetricType::kMonotonicSum;
  m.is_integer = true;
  NumberPoint p;
  p.attributes = std::move(attrs);
  p.int_value = v;
  p.value = static_cast<double>(v);
  m.number_points.push_back(std::move(p));
  return m;
}

MetricData histogram() {
  MetricData m;
  m.name = "http.server.duration";
  m.description = "Request latency";
  m.unit = "s";
  m.type = MetricType::kHistogram;
  m.kind = InstrumentKind::kHistogram;
  m.is_integer = false;
  m.bounds = {0.1, 1};
  HistogramPoint p;
  p.attributes = Attributes{{"route", "/a"}};
  p.bucket_counts = {2, 1, 1};
  p.sum = 3.25;
  p.count = 4;
  p.exemplars.resize(3);
  Exemplar e;
  e.value = 0.5;
  e.trace_id = *TraceId::from_hex("0af7651916cd43dd8448eb211c80319c");
  e.span_id = *SpanId::from_hex("b7ad6b7169203331");
  e.time_unix_nano = 1'700'000'000'123'456'789ULL;
  p.exemplars[1] = e;
  m.histogram_points.push_back(std::move(p));
  return m;
}

TEST(PrometheusText, CounterGetsTotalAndHelpAndType) {
  MetricsSnapshot snap;
  snap.metrics.push_back(counter("ai.requests", 3, Attributes{{"model", "gemini"}, {"ok", true}}));
  EXPECT_EQ(serialize(snap, ExpositionFormat::kPrometheusText),
            "# HELP ai_requests_total Requests served\n"
            "# TYPE ai_requests_total counter\n"
            "ai_requests_total{model=\"gemini\",ok=\"true\"} 3\n");
}

TEST(PrometheusText, EscapesLabelValuesAndHelp) {
  MetricsSnapshot snap;
  auto m = counter("c_total", 1, Attributes{{"path", "a\\b\"c\nd"}, {"bad-key.x", 2}});
  m.description = "line1\nback\\slash \"quoted\"";
  snap.metrics.push_back(std::move(m));
  EXPECT_EQ(serialize(snap, ExpositionFormat::kPrometheusText),
            "# HELP c_total line1\\nback\\\\slash \"quoted\"\n"
            "# TYPE c_total counter\n"
            "c_total{path=\"a\\\\b\\\"c\\nd\",bad_key_x=\"2\"} 1\n");
  EXPECT_EQ(serialize(snap, ExpositionFormat::kOpenMetrics),
            "# HELP c line1\\nback\\\\slash \\\"quoted\\\"\n"
            "# TYPE c counter\n"
            "c_total{path=\"a\\\\b\\\"c\\nd\",bad_key_x=\"2\"} 1\n"
            "# EOF\n");
}

TEST(PrometheusText, HistogramBucketsAreCumulativeWithInfLastAndUnitSuffix) {
  MetricsSnapshot snap;
  snap.metrics.push_back(histogram());
  EXPECT_EQ(serialize(snap, ExpositionFormat::kPrometheusText),
            "# HELP http_server_duration_seconds Request latency\n"
            "# TYPE http_server_duration_seconds histogram\n"
            "http_server_duration_seconds_bucket{route=\"/a\",le=\"0.1\"} 2\n"
            "http_server_duration_seconds_bucket{route=\"/a\",le=\"1\"} 3\n"
            "http_server_duration_seconds_bucket{route=\"/a\",le=\"+Inf\"} 4\n"
            "http_server_duration_seconds_sum{route=\"/a\"} 3.25\n"
            "http_server_duration_seconds_count{route=\"/a\"} 4\n");
}

TEST(OpenMetrics, HistogramCarriesExemplarsUnitAndEof) {
  MetricsSnapshot snap;
  snap.metrics.push_back(histogram());
  EXPECT_EQ(serialize(snap, ExpositionFormat::kOpenMetrics),
            "# HELP http_server_duration_seconds Request latency\n"
            "# TYPE http_server_duration_seconds histogram\n"
            "# UNIT http_server_duration_seconds seconds\n"
            "http_server_duration_seconds_bucket{route=\"/a\",le=\"0.1\"} 2\n"
            "http_server_duration_seconds_bucket{route=\"/a\",le=\"1.0\"} 3 # "
            "{trace_id=\"0af7651916cd43dd8448eb211c80319c\",span_id=\"b7ad6b7169203331\"} 0.5 "
            "1700000000.123\n"
            "http_server_duration_seconds_bucket{route=\"/a\",le=\"+Inf\"} 4\n"
            "http_server_duration_seconds_sum{route=\"/a\"} 3.25\n"
            "http_server_duration_seconds_count{route=\"/a\"} 4\n"
            "# EOF\n");
}

TEST(PrometheusText, TargetInfoFromResourceAndGaugesForNonMonotonicSums) {
  MetricsSnapshot snap;
  snap.resource = Resource(Attributes{{"service.name", "beautifyai"}, {"service.version", "1.2"}});
  MetricData g;
  g.name = "memory.usage";
  g.description = "Resident memory";
  g.unit = "By";
  g.type = MetricType::kSum;
  g.is_integer = false;
  NumberPoint p;
  p.value = 1.5e9;
  g.number_points.push_back(p);
  snap.metrics.push_back(g);
  EXPECT_EQ(serialize(snap, ExpositionFormat::kPrometheusText),
            "# HELP target_info Target metadata\n"
            "# TYPE target_info gauge\n"
            "target_info{service_name=\"beautifyai\",service_version=\"1.2\"} 1\n"
            "# HELP memory_usage_bytes Resident memory\n"
            "# TYPE memory_usage_bytes gauge\n"
            "memory_usage_bytes 1.5e+09\n");
  const std::string om = serialize(snap, ExpositionFormat::kOpenMetrics);
  EXPECT_EQ(om.rfind("# TYPE target info\n# HELP target Target metadata\ntarget_info{", 0), 0u);
}

TEST(PrometheusText, NamesAndUnits) {
  MetricData m;
  m.type = MetricType::kGauge;
  m.name = "queue.processing.duration";
  m.unit = "ms";
  EXPECT_EQ(prometheus_name(m), "queue_processing_duration_milliseconds");
  m.name = "request.size_bytes";
  m.unit = "By";
  EXPECT_EQ(prometheus_name(m), "request_size_bytes");
  m.unit = "{request}";
  m.name = "1st/req-x";
  EXPECT_EQ(prometheus_name(m), "_1st_req_x");
  m.unit = "By/s";
  m.name = "io";
  EXPECT_EQ(prometheus_name(m), "io_bytes_per_second");
  m.type = MetricType::kMonotonicSum;
  m.unit = "1";
  m.name = "errors_total";
  EXPECT_EQ(prometheus_name(m), "errors");
}

TEST(PrometheusText, NegotiatesFormatFromAccept) {
  EXPECT_EQ(negotiate_exposition_format("application/openmetrics-text; version=1.0.0"),
            ExpositionFormat::kOpenMetrics);
  EXPECT_EQ(negotiate_exposition_format("text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
            ExpositionFormat::kPrometheusText);
  EXPECT_EQ(negotiate_exposition_format(""), ExpositionFormat::kPrometheusText);
}

TEST(PrometheusText, CounterExemplarInOpenMetricsFromARealProvider) {
  MeterProvider provider;
  auto c = provider.meter("t").create_counter<std::int64_t>("jobs", {.description = "Jobs"});
  {
    auto scope = Context()
                     .with_span(SpanContext(*TraceId::from_hex("0af7651916cd43dd8448eb211c80319c"),
                                            *SpanId::from_hex("b7ad6b7169203331"),
                                            SpanContext::kSampledFlag))
                     .activate();
    c.add(2);
  }
  const std::string om = serialize(provider.collect(), ExpositionFormat::kOpenMetrics);
  EXPECT_NE(om.find("jobs_total 2 # {trace_id=\"0af7651916cd43dd8448eb211c80319c\","
                    "span_id=\"b7ad6b7169203331\"} 2 "),
            std::string::npos)
      << om;
  const std::string text = serialize(provider.collect(), ExpositionFormat::kPrometheusText);
  EXPECT_EQ(text.find("trace_id"), std::string::npos);
}

TEST(OpenMetrics, AnExemplarTakenOutsideAnySpanHasAnEmptyLabelSet) {
  MeterProvider provider({.exemplar_filter = ExemplarFilter::kAlwaysOn});
  auto c = provider.meter("t").create_counter<std::int64_t>("jobs", {.description = "Jobs"});
  c.add(3);
  const std::string om = serialize(provider.collect(), ExpositionFormat::kOpenMetrics);
  EXPECT_NE(om.find("jobs_total 3 # {} 3 "), std::string::npos) << om;
}

}  // namespace
}  // namespace lumen::metrics
