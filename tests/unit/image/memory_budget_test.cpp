#include "lumen/image/memory_budget.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "lumen/metrics/prometheus.hpp"
#include "test_images.hpp"

namespace lumen::image {
namespace {

using namespace lumen::image::testing;  // NOLINT

TEST(MemoryBudget, AdmitsWhatFitsRefusesWhenFullAndAdmitsAgainOnceReleased) {
  MemoryBudget budget({.capacity_bytes = 100});
  MemoryBudget::Reservation a = budget.try_reserve(60);
  EXPECT_EQ(a.admission(), Admission::kAdmitted);
  MemoryBudget::Reservation b = budget.try_reserve(40);
  EXPECT_EQ(b.admission(), Admission::kAdmitted);
  EXPECT_EQ(budget.stats().used_bytes, 100u);

  MemoryBudget::Reservation refused = budget.try_reserve(1);
  EXPECT_EQ(refused.admission(), Admission::kFull);
  refused.release();  // holds nothing: releasing it changes nothing
  EXPECT_EQ(budget.stats().used_bytes, 100u);

  a.release();
  EXPECT_EQ(budget.stats().used_bytes, 40u);
  EXPECT_EQ(budget.try_reserve(60).admission(), Admission::kAdmitted);  // and released at once
  const MemoryBudgetStats s = budget.stats();
  EXPECT_EQ(s.used_bytes, 40u);
  EXPECT_EQ(s.peak_bytes, 100u);
  EXPECT_EQ(s.admitted, 3u);
  EXPECT_EQ(s.refused_full, 1u);
  EXPECT_EQ(s.refused_larger_than_budget, 0u);
}

TEST(MemoryBudget, RefusesMoreThanTheWholeCapacityEvenWhenIdle) {
  MemoryBudget budget({.capacity_bytes = 100});
  EXPECT_EQ(budget.try_reserve(101).admission(), Admission::kLargerThanBudget);
  EXPECT_EQ(budget.try_reserve(100).admission(), Admission::kAdmitted);
  EXPECT_EQ(budget.stats().refused_larger_than_budget, 1u);
  EXPECT_EQ(budget.stats().used_bytes, 0u);
}

TEST(MemoryBudget, AMovedReservationIsReleasedOnceByItsLastOwner) {
  MemoryBudget budget({.capacity_bytes = 100});
  {
    MemoryBudget::Reservation first = budget.try_reserve(70);
    MemoryBudget::Reservation second = std::move(first);
    first.release();
    EXPECT_EQ(budget.stats().used_bytes, 70u);
    MemoryBudget::Reservation third = budget.try_reserve(30);
    third = std::move(second);  // third's own 30 bytes go back
    EXPECT_EQ(budget.stats().used_bytes, 70u);
  }
  EXPECT_EQ(budget.stats().used_bytes, 0u);
}

TEST(MemoryBudget, ExposesUsageLimitAndRefusalsAsMetrics) {
  metrics::MeterProvider meters;
  MemoryBudget budget({.capacity_bytes = 1000, .meter = &meters.meter("lumen.image")});
  MemoryBudget::Reservation held = budget.try_reserve(600);
  (void)budget.try_reserve(500);
  (void)budget.try_reserve(2000);
  const std::string text =
      metrics::serialize(meters.collect(), metrics::ExpositionFormat::kPrometheusText);
  EXPECT_NE(text.find("image_memory_budget_usage_bytes 600"), std::string::npos) << text;
  EXPECT_NE(text.find("image_memory_budget_limit_bytes 1000"), std::string::npos) << text;
  EXPECT_NE(text.find("image_memory_budget_refused_total{reason=\"full\"} 1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("image_memory_budget_refused_total{reason=\"larger_than_budget\"} 1"),
            std::string::npos)
      << text;
}

TEST(MemoryBudget, AnImagesCostIsItsDecodedSizeReadFromTheHeader) {
  ImageOptimizer optimizer;
  const vips::VImage rgb = gradient(300, 200);
  auto meta = optimizer.read_metadata(png(rgb));
  ASSERT_TRUE(meta);
  EXPECT_EQ(decoded_bytes(meta.value()), 300u * 200u * 3u);
  meta = optimizer.read_metadata(png(rgb.bandjoin(255)));
  ASSERT_TRUE(meta);
  EXPECT_EQ(decoded_bytes(meta.value()), 300u * 200u * 4u);
  meta = optimizer.read_metadata(
      png(rgb.cast(VIPS_FORMAT_USHORT)
              .copy(vips::VImage::option()->set("interpretation", VIPS_INTERPRETATION_RGB16))));
  ASSERT_TRUE(meta);
  EXPECT_EQ(decoded_bytes(meta.value()), 300u * 200u * 3u * 2u);
}

TEST(MemoryBudget, AnOptimizerRefusesAnImageThatDoesNotFitAndReleasesWhatItAdmitted) {
  const Bytes input = png(gradient(400, 300));  // 360,000 bytes decoded
  MemoryBudget budget({.capacity_bytes = 500'000});
  ImageOptimizer optimizer({.memory_budget = &budget});

  ASSERT_TRUE(optimizer.optimize_for_analysis(input));
  ASSERT_TRUE(optimizer.generate_thumbnail(input));
  EXPECT_EQ(budget.stats().used_bytes, 0u);
  EXPECT_EQ(budget.stats().peak_bytes, 360'000u);

  MemoryBudget::Reservation other_work = budget.try_reserve(200'000);
  auto busy = optimizer.optimize_for_analysis(input);
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().kind, ImageErrorKind::kBusy) << busy.error().message;
  EXPECT_EQ(optimizer.process(input, {}).error().kind, ImageErrorKind::kBusy);
  EXPECT_EQ(optimizer.generate_thumbnail(input).error().kind, ImageErrorKind::kBusy);
  other_work.release();
  EXPECT_TRUE(optimizer.optimize_for_analysis(input));

  auto huge = optimizer.optimize_for_analysis(png(gradient(500, 400)));  // 600,000 bytes
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().kind, ImageErrorKind::kTooLarge);
  EXPECT_NE(huge.error().message.find("more than the whole image memory budget"), std::string::npos)
      << huge.error().message;
}

}  // namespace
}  // namespace lumen::image
