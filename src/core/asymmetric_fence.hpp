// A pair of memory fences for a protocol whose one side runs all the time and whose other side runs
// rarely: a store's owner thread keeping every span as it ends, and a reader listing the spans now
// and then. The frequent side orders its store before its load with a compiler barrier alone
// (light_fence); the rare side pays for both (heavy_fence). For the pattern
//
//   frequent side:  mine.store(1, relaxed);   light_fence();  if (theirs.load(acquire)) ...
//   rare side:      theirs.store(1, relaxed); heavy_fence();  if (mine.load(acquire)) ...
//
// the outcome where neither side sees the other's 1 cannot happen, as with two full fences, while
// the frequent side runs no locked instruction. A locked instruction waits for every store before
// it to leave the core, and at a service's saturation the stores of a span that just ended go to
// lines that left the core's caches long ago (bench/RESULTS.md, "Goal 1 at saturation").
//
// heavy_fence() asks the kernel (membarrier(2), MEMBARRIER_CMD_PRIVATE_EXPEDITED) to run a full
// barrier on every CPU that runs a thread of this process; a thread that is not running passed one
// when it was switched out. It takes microseconds. Where the kernel does not offer that command
// (before Linux 4.14, or a seccomp filter that forbids it) it falls back to a full fence and a 1 ms
// sleep: a store leaves a core's store buffer within microseconds, so after that sleep the frequent
// side's store is visible, or its later load sees the rare side's store.
#pragma once

#include <atomic>

namespace lumen::detail {

inline void light_fence() noexcept {
  std::atomic_signal_fence(std::memory_order_seq_cst);
}

void heavy_fence() noexcept;

}  // namespace lumen::detail
