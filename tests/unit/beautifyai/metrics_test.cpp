#include "lumen/beautifyai/metrics.hpp"

#include <gtest/gtest.h>

#include "lumen/metrics/prometheus.hpp"

namespace lumen::beautifyai {
namespace {

using metrics::ExpositionFormat;
using metrics::MeterProvider;

TEST(BeautifyAiMetrics, ExposesTheIdiomaticNamesAndLabels) {
  MeterProvider provider;
  Metrics ai(provider.meter(kServiceName));
  ai.record_ai_request("gemini", true, 250.0, 800);
  ai.record_ai_request("gemini", false, 1500.0);
  ai.record_cache_lookup("document", true);
  ai.record_cache_lookup("document", false);
  ai.record_error("timeout", "gemini");
  ai.record_queue_processing(20);
  ai.record_request_size(5000);
  ai.set_active_connections(4);
  ai.add_active_connections(-1);
  ai.set_queue_depth(6);
  const std::string text = serialize(provider.collect(), ExpositionFormat::kPrometheusText);
  for (const char* line : {
           "ai_requests_total{has_tokens=\"true\",model=\"gemini\",success=\"true\"} 1\n",
           "ai_requests_total{has_tokens=\"false\",model=\"gemini\",success=\"false\"} 1\n",
           // The AI latency buckets, 0.1 s apart here (the generic ones go 0.1, 0.25, 0.5).
           "ai_request_duration_seconds_bucket{has_tokens=\"true\",model=\"gemini\","
           "success=\"true\",le=\"0.3\"} 1\n",
           "ai_request_duration_seconds_bucket{has_tokens=\"true\",model=\"gemini\","
           "success=\"true\",le=\"0.2\"} 0\n",
           "ai_request_duration_seconds_sum{has_tokens=\"false\",model=\"gemini\","
           "success=\"false\"} 1.5\n",
           "ai_tokens_total{model=\"gemini\"} 800\n",
           "cache_requests_total{hit=\"true\",type=\"document\"} 1\n",
           "cache_requests_total{hit=\"false\",type=\"document\"} 1\n",
           "cache_hits_total{type=\"document\"} 1\n",
           "errors_total{model=\"gemini\",type=\"timeout\"} 1\n",
           "queue_processing_duration_seconds_sum 0.02\n",
           "request_size_bytes_bucket{le=\"16384\"} 1\n",
           "# TYPE active_connections gauge\nactive_connections 3\n",
           "# TYPE queue_depth gauge\nqueue_depth 6\n",
           "# TYPE memory_usage_bytes gauge\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << "missing: " << line << "\n" << text;
  }
  EXPECT_EQ(text.find("ai_tokens_total{model=\"gemini\"} 0"), std::string::npos);
}

TEST(BeautifyAiMetrics, ObservableCallbacksStopWhenTheObjectIsDestroyed) {
  MeterProvider provider;
  {
    Metrics ai(provider.meter(kServiceName));
    ai.set_queue_depth(2);
    EXPECT_NE(
        serialize(provider.collect(), ExpositionFormat::kPrometheusText).find("queue_depth 2"),
        std::string::npos);
  }
  EXPECT_EQ(serialize(provider.collect(), ExpositionFormat::kPrometheusText).find("queue_depth"),
            std::string::npos);
}

}  // namespace
}  // namespace lumen::beautifyai
