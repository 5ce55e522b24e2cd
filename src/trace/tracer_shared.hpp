// What every tracer of a provider shares. The provider holds it, and so does every SpanData that a
// span of one of its tracers filled (through SpanData::scope): a span may end, and an exporter may
// keep its data, after the provider is gone. The processor is not in here: it belongs to the
// provider and dies with it, and nothing reaches it once `shut_down` is set.
#pragma once

#include <atomic>
#include <deque>
#include <memory>

#include "lumen/core/clock.hpp"
#include "lumen/core/resource.hpp"
#include "lumen/trace/sampler.hpp"
#include "lumen/trace/span_limits.hpp"
#include "lumen/trace/span_processor.hpp"
#include "lumen/trace/tracer.hpp"
#include "sampler_shortcut.hpp"

namespace lumen::trace::detail {

struct TracerShared : std::enable_shared_from_this<TracerShared> {
  Resource resource;
  std::shared_ptr<const Sampler> sampler;
  SamplerShortcut sampler_shortcut;    // shortcut_of(*sampler)
  SpanProcessor* processor = nullptr;  // owned by the provider; null: spans go nowhere
  // The processor's, when it takes spans as records: then spans start as records.
  SpanRecordSink* record_sink = nullptr;
  SpanLimits limits;
  const Clock* clock;
  bool system_clock = false;  // clock is SystemClock::instance()
  std::atomic<bool> shut_down{false};
  // Here rather than in the provider, because a span reaches its scope and this state through its
  // tracer. A deque keeps addresses stable as tracers are added (under the provider's mutex).
  std::deque<Tracer> tracers;

  // A span's timestamp: with the system clock, read inline rather than through a virtual call.
  [[nodiscard]] std::uint64_t wall_ns() const noexcept {
    return system_clock ? lumen::detail::tsc_wall_ns() : clock->wall_ns();
  }
};

// Counts a span that ended after its provider was shut down (see spans_ended_after_shutdown).
void count_span_ended_after_shutdown() noexcept;

}  // namespace lumen::trace::detail
