// Random trace and span ids from a per-thread generator: no lock, no syscall after the first use
// on a thread, never the all-zero (invalid) id. After fork() the child reseeds, so parent and child
// never hand out the same ids.
//
//   lumen::TraceId t = lumen::IdGenerator::trace_id();
//   lumen::SpanId s = lumen::IdGenerator::span_id();
#pragma once

#include <cstdint>

#include "lumen/core/ids.hpp"

namespace lumen {

class IdGenerator {
 public:
  static TraceId trace_id() noexcept;
  static SpanId span_id() noexcept;
  // A uniformly random 64-bit value from the same per-thread state (jitter, sampling tests).
  static std::uint64_t next_u64() noexcept;
};

}  // namespace lumen
