#include "workload.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

namespace loadgen {

ZipfSampler::ZipfSampler(std::size_t n, double exponent) {
  if (n == 0) throw std::invalid_argument("a Zipf distribution needs at least one rank");
  cumulative_.reserve(n);
  double total = 0;
  for (std::size_t rank = 0; rank < n; ++rank) {
    total += 1.0 / std::pow(static_cast<double>(rank + 1), exponent);
    cumulative_.push_back(total);
  }
  for (double& c : cumulative_) c /= total;
}

std::size_t ZipfSampler::sample(double uniform) const {
  const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), uniform);
  return std::min(static_cast<std::size_t>(it - cumulative_.begin()), cumulative_.size() - 1);
}

std::vector<PlannedRequest> plan_open_loop(const WorkloadOptions& options) {
  if (options.rate <= 0) throw std::invalid_argument("the rate must be positive");
  std::mt19937_64 random(options.seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::exponential_distribution<double> gap(options.rate);
  const ZipfSampler documents(options.documents, options.zipf_exponent);
  double tier_total = 0;
  for (const auto& [name, weight] : options.tiers) tier_total += weight;

  std::vector<PlannedRequest> plan;
  const double end_seconds = std::chrono::duration<double>(options.duration).count();
  for (double t = gap(random); t < end_seconds; t += gap(random)) {
    PlannedRequest request;
    request.at = std::chrono::nanoseconds(static_cast<std::int64_t>(t * 1e9));
    request.document = documents.sample(uniform(random));
    // Whether a document has an image, and which, depends on the document only.
    if (options.images > 0) {
      std::mt19937_64 per_document(options.seed ^ (request.document * 0x9E3779B97F4A7C15ULL));
      if (uniform(per_document) < options.image_share) {
        request.image = static_cast<int>(request.document % options.images);
      }
    }
    double pick = uniform(random) * tier_total;
    request.tier = options.tiers.empty() ? "free" : options.tiers.back().first;
    for (const auto& [name, weight] : options.tiers) {
      if (pick < weight) {
        request.tier = name;
        break;
      }
      pick -= weight;
    }
    plan.push_back(std::move(request));
  }
  return plan;
}

}  // namespace loadgen
