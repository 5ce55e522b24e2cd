// Workload: the requests a load test sends, planned up front and deterministic for a seed.
//
// Arrivals are a Poisson process at `rate` per second (exponential gaps), so bursts happen as they
// do in production. Each request names one of `documents` distinct documents drawn from a Zipf
// distribution (a few popular documents, a long tail: what makes coalescing and caching pay off),
// a user tier by weight, and, for `image_share` of the documents, an image from a folder (the same
// image for the same document, as when one upload is analyzed again).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace loadgen {

struct WorkloadOptions {
  double rate = 25;  // requests per second
  std::chrono::milliseconds duration = std::chrono::seconds(10);
  std::size_t documents = 400;  // distinct documents
  double zipf_exponent = 1.1;
  double image_share = 0.1;  // of documents that carry an image
  std::size_t images = 0;    // images available (0: no image requests)
  std::vector<std::pair<std::string, double>> tiers{
      {"free", 0.6}, {"pro", 0.3}, {"enterprise", 0.1}};
  std::uint64_t seed = 7;
};

struct PlannedRequest {
  std::chrono::nanoseconds at{0};  // from the start of the run
  std::size_t document = 0;
  int image = -1;  // index into the image list, or -1
  std::string tier;
};

// The whole plan, ordered by time.
[[nodiscard]] std::vector<PlannedRequest> plan_open_loop(const WorkloadOptions& options);

// Draws ranks 0..n-1 with probability proportional to 1 / (rank + 1)^exponent.
class ZipfSampler {
 public:
  ZipfSampler(std::size_t n, double exponent);
  // `uniform` in [0, 1).
  [[nodiscard]] std::size_t sample(double uniform) const;

 private:
  std::vector<double> cumulative_;
};

}  // namespace loadgen
