// Not API: this header may change or go away in any release. It is in the public tree because the
// metric cells that bound instruments update inline are built on it.
//
// A counter that many threads add to without moving one cache line between their cores.
//
// Each thread is given a stripe (round robin) the first time it needs one and keeps it; a counter
// has one cache line per stripe, and a read adds the stripes up. Metrics cells use the same stripe
// assignment.
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

inline constexpr std::size_t kStripes = 4;

// Gives the calling thread its stripe (round robin), remembers it, and returns it plus one.
std::uint32_t assign_stripe() noexcept;
inline thread_local std::uint32_t t_stripe_plus_one = 0;

inline std::size_t stripe() noexcept {
  std::uint32_t s = t_stripe_plus_one;
  if (s == 0) [[unlikely]] {
    s = assign_stripe();
  }
  return s - 1;
}

class StripedCounter {
 public:
  void add(std::uint64_t n = 1) noexcept {
    cells_[stripe()].value.fetch_add(n, std::memory_order_relaxed);
  }
  [[nodiscard]] std::uint64_t load() const noexcept {
    std::uint64_t total = 0;
    for (const Cell& cell : cells_) total += cell.value.load(std::memory_order_relaxed);
    return total;
  }
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
