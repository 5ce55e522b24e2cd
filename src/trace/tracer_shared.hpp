// What every tracer of a provider shares; owned by the provider, which outlives its tracers.
#pragma once

#include <atomic>
#include <memory>

#include "lumen/core/clock.hpp"
#include "lumen/core/resource.hpp"
#include "lumen/trace/sampler.hpp"
#include "lumen/trace/span_limits.hpp"
#include "lumen/trace/span_processor.hpp"

namespace lumen::trace::detail {

struct TracerShared {
  Resource resource;
  std::shared_ptr<const Sampler> sampler;
  std::unique_ptr<SpanProcessor> processor;
  SpanLimits limits;
  const Clock* clock;
  bool system_clock = false;  // clock is SystemClock::instance()
  std::atomic<bool> shut_down{false};

  // A span's timestamp: with the system clock, read inline rather than through a virtual call.
  [[nodiscard]] std::uint64_t wall_ns() const noexcept {
    return system_clock ? wall_clock_ns() : clock->wall_ns();
  }
};

}  // namespace lumen::trace::detail
