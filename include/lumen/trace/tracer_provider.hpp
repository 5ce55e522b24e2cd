// TracerProvider: owns the sampler, the span processor, the limits and the named tracers.
//
// Build one per process (lumen::init does it from the environment) or by hand in tests. Its
// destructor shuts the processor down with a deadline; it never hangs.
// A span may outlive its provider: ended after the provider's shutdown or destruction, it is
// dropped and counted (spans_ended_after_shutdown), and a SpanData that an exporter keeps still
// has its scope and resource. Ending a span while the provider's destructor runs is a race.
// Thread-safety: all methods may be called concurrently.
//
//   lumen::trace::TracerProvider provider({
//       .resource = lumen::Resource::from_environment(lumen::Environment::process()),
//       .processor = std::make_unique<lumen::trace::BatchSpanProcessor>(exporter),
//   });
//   lumen::trace::Tracer& tracer = provider.tracer("checkout", "0.1.0");
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>

#include "lumen/core/clock.hpp"
#include "lumen/core/resource.hpp"
#include "lumen/trace/sampler.hpp"
#include "lumen/trace/span_limits.hpp"
#include "lumen/trace/span_processor.hpp"
#include "lumen/trace/tracer.hpp"

namespace lumen::trace {

struct TracerProviderOptions {
  Resource resource;
  std::shared_ptr<const Sampler> sampler = Sampler::parent_based(Sampler::always_on());
  std::unique_ptr<SpanProcessor> processor;  // null: spans are sampled but go nowhere
  SpanLimits limits;
  const Clock* clock = &SystemClock::instance();
  std::chrono::milliseconds shutdown_timeout = std::chrono::seconds(5);
};

// Spans in this process that ended after their provider was shut down or destroyed, and were
// therefore dropped.
[[nodiscard]] std::uint64_t spans_ended_after_shutdown() noexcept;

class TracerProvider {
 public:
  explicit TracerProvider(TracerProviderOptions options);
  ~TracerProvider();
  TracerProvider(const TracerProvider&) = delete;
  TracerProvider& operator=(const TracerProvider&) = delete;

  // The tracer for a scope; the same name and version return the same tracer.
  [[nodiscard]] Tracer& tracer(std::string_view name, std::string_view version = {});

  bool force_flush(std::chrono::milliseconds timeout = std::chrono::seconds(5)) noexcept;
  // Flushes and stops the processor; spans started afterwards are non-recording.
  bool shutdown(std::chrono::milliseconds timeout = std::chrono::seconds(5)) noexcept;

  [[nodiscard]] const Resource& resource() const noexcept;
  [[nodiscard]] SpanProcessor* processor() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace lumen::trace
