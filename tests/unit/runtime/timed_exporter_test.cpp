// TimedExporter: times each export, and lets an exporter that reads compact records get them.
#include "runtime/timed_exporter.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>

#include "lumen/metrics/meter.hpp"
#include "lumen/trace/batch_span_processor.hpp"
#include "lumen/trace/tracer_provider.hpp"
#include "record_reading_exporter.hpp"

namespace lumen::detail {
namespace {

using namespace std::chrono_literals;

// The Runtime puts a TimedExporter in front of the OTLP exporter: the spans must still start as
// records and reach the OTLP exporter as records, and each export is still timed.
TEST(TimedExporter, AnExporterBehindItThatReadsRecordsGetsRecords) {
  auto meters = std::make_shared<metrics::MeterProvider>();
  auto duration = meters->meter("lumen").create_histogram("lumen.span_export.duration");
  auto inner = std::make_shared<lumen::testing::RecordReadingExporter>();
  auto timed = std::make_shared<TimedExporter>(inner, duration, meters);
  EXPECT_TRUE(timed->reads_records());
  {
    trace::TracerProvider provider({.processor = std::make_unique<trace::BatchSpanProcessor>(
                                        timed, trace::BatchSpanProcessorOptions{})});
    for (int i = 0; i < 10; ++i) provider.tracer("timed").start("span").set("i", i).end();
    ASSERT_TRUE(provider.force_flush(10s));
  }
  EXPECT_EQ(inner->records(), 10u);
  EXPECT_EQ(inner->span_data(), 0u);
  EXPECT_EQ(inner->kept().size(), 10u);
  std::uint64_t timed_exports = 0;
  for (const metrics::MetricData& metric : meters->collect().metrics) {
    if (metric.name != "lumen.span_export.duration") continue;
    for (const metrics::HistogramPoint& point : metric.histogram_points)
      timed_exports += point.count;
  }
  EXPECT_GE(timed_exports, 1u);
}

}  // namespace
}  // namespace lumen::detail
