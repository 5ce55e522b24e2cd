#include "core/tsc_features.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace lumen::detail {

TscFeatures tsc_features() noexcept {
  TscFeatures f;
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0) f.rdtsc = (edx & (1U << 4)) != 0;
  // __get_cpuid checks that the extended leaf exists before reading it.
  if (__get_cpuid(0x80000001U, &eax, &ebx, &ecx, &edx) != 0) f.rdtscp = (edx & (1U << 27)) != 0;
  if (__get_cpuid(0x80000007U, &eax, &ebx, &ecx, &edx) != 0) f.invariant = (edx & (1U << 8)) != 0;
#endif
  return f;
}

}  // namespace lumen::detail
