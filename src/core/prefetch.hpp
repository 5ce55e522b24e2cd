// Prefetch of a cache line that the caller is about to write.
//
// Why not __builtin_prefetch(p, 1): unless the build targets a CPU with PREFETCHW (-mprfchw or a
// -march that has it), GCC emits a read prefetch (prefetcht0) for it. A read prefetch brings the
// line in shared, and the first store still waits for the other core to give it up: on the log
// ring, whose slots the writer thread read last, that wait was the largest cost left on the
// logging thread. (The span pool's prefetch stays a read prefetch: PREFETCHW there made a sampled
// span slower in interleaved runs.) x86 CPUs without PREFETCHW run it as a no-op.
#pragma once

namespace lumen::detail {

inline void prefetch_for_write(const void* p) noexcept {
#if defined(__x86_64__) || defined(__i386__)
  asm volatile("prefetchw %0" : : "m"(*static_cast<const char*>(p)));
#else
  __builtin_prefetch(p, 1);
#endif
}

}  // namespace lumen::detail
