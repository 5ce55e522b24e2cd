#include "lumen/core/internal/striped_counter.hpp"

namespace lumen::detail {

std::uint32_t assign_stripe() noexcept {
  static std::atomic<std::uint32_t> next{0};
  t_stripe_plus_one =
      static_cast<std::uint32_t>(next.fetch_add(1, std::memory_order_relaxed) % kStripes) + 1;
  return t_stripe_plus_one;
}

}  // namespace lumen::detail
