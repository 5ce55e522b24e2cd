// Not API: this header may change or go away in any release. It is in the public tree because the
// metric cells that bound instruments update inline are built on it.
//
// A counter that many threads add to without moving one cache line between their cores, and
// without a locked instruction on the threads that own a stripe.
//
// The first kOwnableStripes threads that need a stripe each own one: they are its only writer for
// as long as they live, so an update is a plain load and store of the stripe (an atomic
// read-modify-write costs about 5 ns; a relaxed load and store under 1). Every later thread is
// given one of the other stripes, round robin, and adds to it atomically: many threads still
// spread over several cache lines. A thread that exits gives its owned stripe back for the next
// new thread. A counter has one cache line per stripe, and a read adds the stripes up. Metrics
// cells use the same stripes.
//
//   lumen::detail::StripedCounter dropped;
//   dropped.add();                        // from any thread
//   std::uint64_t total = dropped.load();
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace lumen::detail {

inline constexpr std::size_t kStripes = 8;
// Stripes [0, kOwnableStripes) can be owned; the rest are shared by the threads that found every
// ownable one taken.
inline constexpr std::size_t kOwnableStripes = kStripes / 2;

// Which stripe the calling thread writes, and whether it is that stripe's only writer.
struct ThreadStripe {
  std::size_t index;
  bool owned;
};

// 0 until the thread first asks; then its stripe plus one, with kOwnedBit when it owns it.
inline constexpr std::uint32_t kOwnedBit = 0x100;
inline thread_local std::uint32_t t_stripe_tag = 0;

// Gives the calling thread a stripe to own if one is free (a shared one otherwise), remembers it,
// and returns the tag. An owned stripe is given back when the thread exits.
std::uint32_t assign_stripe() noexcept;

inline ThreadStripe thread_stripe() noexcept {
  std::uint32_t tag = t_stripe_tag;
  if (tag == 0) [[unlikely]] {
    tag = assign_stripe();
  }
  return {(tag & (kOwnedBit - 1)) - 1, (tag & kOwnedBit) != 0};
}

// Adds `n` to one stripe's `cell`: a plain load and store by its owner, an atomic add otherwise.
template <typename T>
inline void add_to_stripe(std::atomic<T>& cell, T n, bool owned) noexcept {
  if (owned) {
    cell.store(cell.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  } else {
    cell.fetch_add(n, std::memory_order_relaxed);
  }
}

class StripedCounter {
 public:
  void add(std::uint64_t n = 1) noexcept {
    const ThreadStripe s = thread_stripe();
    add_to_stripe(cells_[s.index].value, n, s.owned);
  }
  [[nodiscard]] std::uint64_t load() const noexcept {
    std::uint64_t total = 0;
    for (const Cell& cell : cells_) total += cell.value.load(std::memory_order_relaxed);
    return total;
  }
  // Only while no other thread adds (a fork child, a test).
  void reset() noexcept {
    for (Cell& cell : cells_) cell.value.store(0, std::memory_order_relaxed);
  }

 private:
  struct alignas(64) Cell {
    std::atomic<std::uint64_t> value{0};
  };
  std::array<Cell, kStripes> cells_;
};

}  // namespace lumen::detail
