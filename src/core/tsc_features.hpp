// What the processor says about its time stamp counter (CPUID), read once by the TSC clock to
// decide whether the counter can be trusted as a clock.
#pragma once

namespace lumen::detail {

struct TscFeatures {
  bool rdtsc = false;      // leaf 1, EDX bit 4
  bool rdtscp = false;     // leaf 0x80000001, EDX bit 27 (some hypervisors hide it)
  bool invariant = false;  // leaf 0x80000007, EDX bit 8: constant rate in every P-, C- and T-state
};

// All false on a processor that is not x86.
[[nodiscard]] TscFeatures tsc_features() noexcept;

}  // namespace lumen::detail
