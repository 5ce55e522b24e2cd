// Many threads share one ImageOptimizer: each result must be what the same call gives alone, and
// bad input on one thread must not disturb the others (libvips's error buffer is process-wide).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "../unit/image/test_images.hpp"
#include "lumen/image/image_optimizer.hpp"
#include "sanitizers.hpp"

namespace lumen::image {
namespace {

using namespace lumen::image::testing;  // NOLINT

TEST(ImageOptimizerStress, ConcurrentCallsGiveTheSameBytesAsSequentialOnes) {
  const ImageOptimizer optimizer;
  std::vector<Bytes> inputs;
  for (int i = 0; i < 6; ++i) {
    // Small images: under ThreadSanitizer every pixel copy between libvips's threads is checked.
    inputs.push_back(i % 2 == 0 ? jpeg(gradient(160 + 8 * i, 96)) : png(noise(96, 64 + 4 * i)));
  }
  Bytes truncated = jpeg(noise(128, 128));
  truncated.resize(truncated.size() / 2);
  const OptimizeOptions options{.max_width = 80, .max_height = 80};

  std::vector<Bytes> expected;
  for (const Bytes& in : inputs)
    expected.push_back(optimizer.optimize_for_analysis(in, options).value().bytes);

  // ThreadSanitizer checks every pixel copy between libvips's own threads against the
  // suppressions (tests/tsan.supp): a smaller run keeps the test within the suite's time limit.
  constexpr int kThreads = lumen::testing::kThreadSanitizer ? 2 : 4;
  constexpr int kRounds = lumen::testing::kThreadSanitizer ? 2 : 4;
  std::atomic<int> mismatches{0};
  std::atomic<int> wrong_errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        const std::size_t k = static_cast<std::size_t>(t + round) % inputs.size();
        auto r = optimizer.optimize_for_analysis(inputs[k], options);
        if (!r || r.value().bytes != expected[k]) ++mismatches;
        auto bad = optimizer.optimize_for_analysis(truncated, options);
        if (bad || bad.error().kind != ImageErrorKind::kCorrupt) ++wrong_errors;
        auto thumb = optimizer.generate_thumbnail(inputs[k], 32);
        if (!thumb || thumb.value().width != 32) ++mismatches;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_EQ(wrong_errors.load(), 0);
}

}  // namespace
}  // namespace lumen::image
