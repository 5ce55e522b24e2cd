// current_cpu(): the number of the CPU that runs the calling thread, in a single load.
//
// glibc (2.35 and later) registers every thread with the kernel's restartable sequences, and the
// kernel keeps the thread's CPU number in that area. sched_getcpu() reads the same field but costs
// a call (about 3 ns here, a tenth of a span); this is one load. The answer may be stale as soon as
// it is read, because the thread can migrate: use it to pick a shard, never for correctness. When
// rseq is not registered (the glibc.pthread.rseq=0 tunable), it is always 0.
//
//   std::size_t shard = lumen::current_cpu() % shard_count;
#pragma once

#include <sys/rseq.h>

#include <cstddef>

namespace lumen {

[[nodiscard]] inline std::size_t current_cpu() noexcept {
  const auto* area = reinterpret_cast<const volatile struct rseq*>(
      static_cast<const char*>(__builtin_thread_pointer()) + __rseq_offset);
  // cpu_id_start, unlike cpu_id, is a valid CPU number even before registration (0).
  return area->cpu_id_start;
}

}  // namespace lumen
