#include "lumen/trace/tracer_provider.hpp"

#include <mutex>

#include "lumen/core/fork_safety.hpp"
#include "lumen/core/internal/mutex.hpp"
#include "tracer_shared.hpp"

namespace lumen::trace {
namespace {

// Process-wide: a span may end after its provider is destroyed, when no provider is left to ask.
std::atomic<std::uint64_t> g_spans_ended_after_shutdown{0};

}  // namespace

namespace detail {
void count_span_ended_after_shutdown() noexcept {
  g_spans_ended_after_shutdown.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace detail

std::uint64_t spans_ended_after_shutdown() noexcept {
  return g_spans_ended_after_shutdown.load(std::memory_order_relaxed);
}

struct TracerProvider::State final : ForkAware {
  // Shared with the spans (see tracer_shared.hpp); the processor is the provider's alone.
  std::shared_ptr<detail::TracerShared> shared = std::make_shared<detail::TracerShared>();
  std::unique_ptr<SpanProcessor> processor;
  std::chrono::milliseconds shutdown_timeout;
  lumen::internal::Mutex mutex;  // guards shared->tracers

  // A fork while another thread looks a tracer up would leave `mutex` locked forever in the
  // child: hold it across fork() so that the child's copy is always released.
  void before_fork() noexcept override LUMEN_ACQUIRE(mutex) { mutex.lock(); }
  void after_fork_in_parent() noexcept override LUMEN_RELEASE(mutex) { mutex.unlock(); }
  void after_fork_in_child() noexcept override LUMEN_RELEASE(mutex) { mutex.unlock(); }
};

TracerProvider::TracerProvider(TracerProviderOptions options) : state_(std::make_unique<State>()) {
  detail::TracerShared& shared = *state_->shared;
  shared.resource = std::move(options.resource);
  shared.sampler = options.sampler ? std::move(options.sampler) : Sampler::always_on();
  shared.sampler_shortcut = detail::shortcut_of(*shared.sampler);
  state_->processor = std::move(options.processor);
  shared.processor = state_->processor.get();
  shared.record_sink = shared.processor != nullptr ? shared.processor->record_sink() : nullptr;
  shared.limits = options.limits;
  shared.clock = options.clock != nullptr ? options.clock : &SystemClock::instance();
  shared.system_clock = shared.clock == &SystemClock::instance();
  state_->shutdown_timeout = options.shutdown_timeout;
  ForkRegistry::add(state_.get());
}

TracerProvider::~TracerProvider() {
  ForkRegistry::remove(state_.get());
  shutdown(state_->shutdown_timeout);
}

Tracer& TracerProvider::tracer(std::string_view name, std::string_view version) {
  lumen::internal::MutexLock lock(state_->mutex);
  detail::TracerShared& shared = *state_->shared;
  for (Tracer& t : shared.tracers) {
    if (t.scope().name == name && t.scope().version == version) return t;
  }
  return shared.tracers.emplace_back(
      InstrumentationScope{std::string(name), std::string(version), &shared.resource}, &shared);
}

bool TracerProvider::force_flush(std::chrono::milliseconds timeout) noexcept {
  return state_->processor ? state_->processor->force_flush(timeout) : true;
}

bool TracerProvider::shutdown(std::chrono::milliseconds timeout) noexcept {
  if (state_->shared->shut_down.exchange(true)) return true;
  return state_->processor ? state_->processor->shutdown(timeout) : true;
}

const Resource& TracerProvider::resource() const noexcept {
  return state_->shared->resource;
}

SpanProcessor* TracerProvider::processor() const noexcept {
  return state_->processor.get();
}

}  // namespace lumen::trace
