#include "lumen/trace/tracer_provider.hpp"

#include <deque>
#include <mutex>

#include "lumen/core/fork_safety.hpp"
#include "tracer_shared.hpp"

namespace lumen::trace {

struct TracerProvider::State final : ForkAware {
  detail::TracerShared shared;
  std::chrono::milliseconds shutdown_timeout;
  std::mutex mutex;
  std::deque<Tracer> tracers;  // a deque keeps addresses stable as tracers are added

  // A fork while another thread looks a tracer up would leave `mutex` locked forever in the
  // child: hold it across fork() so that the child's copy is always released.
  void before_fork() noexcept override { mutex.lock(); }
  void after_fork_in_parent() noexcept override { mutex.unlock(); }
  void after_fork_in_child() noexcept override { mutex.unlock(); }
};

TracerProvider::TracerProvider(TracerProviderOptions options) : state_(std::make_unique<State>()) {
  state_->shared.resource = std::move(options.resource);
  state_->shared.sampler = options.sampler ? std::move(options.sampler) : Sampler::always_on();
  state_->shared.processor = std::move(options.processor);
  state_->shared.limits = options.limits;
  state_->shared.clock = options.clock != nullptr ? options.clock : &SystemClock::instance();
  state_->shared.system_clock = state_->shared.clock == &SystemClock::instance();
  state_->shutdown_timeout = options.shutdown_timeout;
  ForkRegistry::add(state_.get());
}

TracerProvider::~TracerProvider() {
  ForkRegistry::remove(state_.get());
  shutdown(state_->shutdown_timeout);
}

Tracer& TracerProvider::tracer(std::string_view name, std::string_view version) {
  std::lock_guard lock(state_->mutex);
  for (Tracer& t : state_->tracers) {
    if (t.scope().name == name && t.scope().version == version) return t;
  }
  return state_->tracers.emplace_back(
      InstrumentationScope{std::string(name), std::string(version), &state_->shared.resource},
      &state_->shared);
}

bool TracerProvider::force_flush(std::chrono::milliseconds timeout) noexcept {
  return state_->shared.processor ? state_->shared.processor->force_flush(timeout) : true;
}

bool TracerProvider::shutdown(std::chrono::milliseconds timeout) noexcept {
  if (state_->shared.shut_down.exchange(true)) return true;
  return state_->shared.processor ? state_->shared.processor->shutdown(timeout) : true;
}

const Resource& TracerProvider::resource() const noexcept { return state_->shared.resource; }

SpanProcessor* TracerProvider::processor() const noexcept { return state_->shared.processor.get(); }

}  // namespace lumen::trace
