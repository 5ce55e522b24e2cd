#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "lumen/export/memory_exporter.hpp"
#include "lumen/image/image_optimizer.hpp"
#include "lumen/metrics/meter.hpp"
#include "lumen/metrics/prometheus.hpp"
#include "lumen/trace/span_processor.hpp"
#include "lumen/trace/tracer_provider.hpp"
#include "test_images.hpp"

namespace lumen::image {
namespace {

using namespace lumen::image::testing;  // NOLINT

class ImageInstrumentationTest : public ::testing::Test {
 protected:
  std::shared_ptr<exporters::InMemorySpanExporter> spans_ =
      std::make_shared<exporters::InMemorySpanExporter>();
  trace::TracerProvider tracers_{
      {.processor = std::make_unique<trace::SimpleSpanProcessor>(spans_)}};
  metrics::MeterProvider meters_;
  ImageOptimizer optimizer_{
      {.tracer = &tracers_.tracer("lumen.image"), .meter = &meters_.meter("lumen.image")}};

  const trace::SpanData& only_span() {
    all_ = spans_->spans();
    EXPECT_EQ(all_.size(), 1u);
    return all_.at(0);
  }
  std::vector<trace::SpanData> all_;
};

TEST_F(ImageInstrumentationTest, OptimizeSpanCarriesSizesFormatAndReduction) {
  const Bytes input = png(gradient(2400, 1200));
  auto r = optimizer_.optimize_for_analysis(input, {.format = Format::kWebp});
  ASSERT_TRUE(r) << r.error().message;
  const trace::SpanData& span = only_span();
  EXPECT_EQ(span.name, "image.optimize");
  EXPECT_EQ(span.status, trace::StatusCode::kOk);
  ASSERT_NE(span.attributes.find("image.original_size"), nullptr);
  EXPECT_EQ(std::get<std::int64_t>(*span.attributes.find("image.original_size")),
            static_cast<std::int64_t>(input.size()));
  EXPECT_EQ(std::get<std::string>(*span.attributes.find("image.target_format")), "webp");
  EXPECT_EQ(std::get<std::int64_t>(*span.attributes.find("image.optimized_size")),
            static_cast<std::int64_t>(r.value().bytes.size()));
  EXPECT_DOUBLE_EQ(std::get<double>(*span.attributes.find("image.reduction_percent")),
                   r.value().reduction_percent);
}

TEST_F(ImageInstrumentationTest, FailedImageMarksTheSpanAsError) {
  auto r = optimizer_.optimize_for_analysis(Bytes{'n', 'o', 'p', 'e'});
  ASSERT_FALSE(r);
  const trace::SpanData& span = only_span();
  EXPECT_EQ(span.status, trace::StatusCode::kError);
  EXPECT_EQ(std::get<std::string>(*span.attributes.find("image.error.kind")), "not_an_image");
  EXPECT_EQ(span.attributes.find("image.optimized_size"), nullptr);
}

TEST_F(ImageInstrumentationTest, MetricsCountBytesInAndOutAndTime) {
  const Bytes input = jpeg(gradient(800, 600));
  auto r = optimizer_.optimize_for_analysis(input, {.max_width = 400});
  ASSERT_TRUE(r);
  (void)optimizer_.optimize_for_analysis(Bytes{});
  const std::string text =
      metrics::serialize(meters_.collect(), metrics::ExpositionFormat::kPrometheusText);
  EXPECT_NE(text.find("image_input_size_bytes_total{operation=\"optimize\"} " +
                      std::to_string(input.size())),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("image_output_size_bytes_total{operation=\"optimize\"} " +
                      std::to_string(r.value().bytes.size())),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("image_optimize_duration_seconds_count{operation=\"optimize\"} 2"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("image_errors_total{error_kind=\"empty\",operation=\"optimize\"} 1"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace lumen::image
