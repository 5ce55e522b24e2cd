#include "lumen/core/internal/striped_counter.hpp"

namespace lumen::detail {
namespace {

// Bit i set: stripe i is free to own.
constexpr std::uint32_t kAllOwnable = (1U << kOwnableStripes) - 1;
std::atomic<std::uint32_t> g_free_stripes{kAllOwnable};

// The tag of the next shared stripe, round robin.
std::uint32_t next_shared_tag() noexcept {
  static std::atomic<std::uint32_t> next{0};
  const std::uint32_t n = next.fetch_add(1, std::memory_order_relaxed);
  return static_cast<std::uint32_t>(kOwnableStripes + n % (kStripes - kOwnableStripes)) + 1;
}

// Gives the owned stripe back when its thread exits. The thread may still record from a later
// thread_local destructor: it does so on a shared stripe from then on.
struct StripeOwnership {
  std::uint32_t index = 0;
  ~StripeOwnership() {
    t_stripe_tag = next_shared_tag();
    // Release: the next owner's plain load sees every store this thread made to the stripe.
    g_free_stripes.fetch_or(1U << index, std::memory_order_release);
  }
};

}  // namespace

std::uint32_t assign_stripe() noexcept {
  static_assert(kOwnableStripes <= 32 && kStripes < kOwnedBit);
  std::uint32_t free = g_free_stripes.load(std::memory_order_relaxed);
  while (free != 0) {
    const std::uint32_t lowest = free & (~free + 1);
    if (g_free_stripes.compare_exchange_weak(free, free & ~lowest, std::memory_order_acquire,
                                             std::memory_order_relaxed)) {
      // Constructed here, by the one thread that owns a stripe: its destructor gives it back.
      thread_local StripeOwnership ownership;
      ownership.index = static_cast<std::uint32_t>(__builtin_ctz(lowest));
      t_stripe_tag = (ownership.index + 1) | kOwnedBit;
      return t_stripe_tag;
    }
  }
  t_stripe_tag = next_shared_tag();
  return t_stripe_tag;
}

}  // namespace lumen::detail
