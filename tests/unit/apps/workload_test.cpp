#include "workload.hpp"

#include <gtest/gtest.h>

#include <map>

#include "load_runner.hpp"

namespace loadgen {
namespace {

TEST(ZipfSampler, TheFirstRanksTakeTheMostDraws) {
  const ZipfSampler zipf(100, 1.1);
  std::map<std::size_t, int> counts;
  for (int i = 0; i < 10'000; ++i) ++counts[zipf.sample((i + 0.5) / 10'000.0)];
  // P(rank 0) = 1 / H(100, 1.1), about 0.23.
  EXPECT_NEAR(counts[0] / 10'000.0, 0.23, 0.02);
  EXPECT_GT(counts[0], counts[1]);
  EXPECT_GT(counts[1], counts[10]);
  EXPECT_EQ(zipf.sample(0.999999), 99u);
}

TEST(Workload, ThePlanIsDeterministicPoissonAtTheRateAndImagesFollowTheDocument) {
  WorkloadOptions o{.rate = 200,
                    .duration = std::chrono::seconds(10),
                    .documents = 50,
                    .image_share = 0.5,
                    .images = 4,
                    .seed = 3};
  const auto a = plan_open_loop(o);
  const auto b = plan_open_loop(o);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_NEAR(static_cast<double>(a.size()), 2000.0, 150.0);  // 2000 +- 3.4 sigma
  std::map<std::size_t, int> image_of;
  int with_image = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].document, b[i].document);
    EXPECT_EQ(a[i].at, b[i].at);
    if (i > 0) {
      EXPECT_GE(a[i].at, a[i - 1].at);
    }
    auto [it, fresh] = image_of.emplace(a[i].document, a[i].image);
    EXPECT_EQ(it->second, a[i].image);  // the same document always has the same image
    if (a[i].image >= 0) ++with_image;
  }
  EXPECT_GT(with_image, 0);
  EXPECT_LT(with_image, static_cast<int>(a.size()));
  o.seed = 4;
  EXPECT_NE(plan_open_loop(o).front().at, a.front().at);
}

TEST(LoadRunner, PercentilesUseTheNearestRank) {
  std::vector<double> latencies;
  for (int i = 100; i >= 1; --i) latencies.push_back(i);
  RunSummary s;
  summarize_latencies(latencies, s);
  EXPECT_DOUBLE_EQ(s.p50_ms, 50);
  EXPECT_DOUBLE_EQ(s.p90_ms, 90);
  EXPECT_DOUBLE_EQ(s.p99_ms, 99);
  EXPECT_DOUBLE_EQ(s.max_ms, 100);
  EXPECT_DOUBLE_EQ(s.mean_ms, 50.5);
}

}  // namespace
}  // namespace loadgen
