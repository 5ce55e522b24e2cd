// SwitchableSampler: parent-based always-on while tracing is on, drop everything while it is off.
// The gateway's overhead measurement (loadgen --compare) turns tracing off and on at run time.
#pragma once

#include <atomic>

#include "lumen/trace/sampler.hpp"

namespace beautifyai {

class SwitchableSampler final : public lumen::trace::Sampler {
 public:
  SwitchableSampler()
      : on_(lumen::trace::Sampler::parent_based(lumen::trace::Sampler::always_on())) {}

  void set_enabled(bool enabled) noexcept { enabled_.store(enabled, std::memory_order_relaxed); }
  [[nodiscard]] bool enabled() const noexcept { return enabled_.load(std::memory_order_relaxed); }

  [[nodiscard]] lumen::trace::SamplingDecision should_sample(
      const lumen::SpanContext& parent, const lumen::TraceId& trace_id, std::string_view name,
      lumen::trace::SpanKind kind) const noexcept override {
    if (!enabled()) return lumen::trace::SamplingDecision::kDrop;
    return on_->should_sample(parent, trace_id, name, kind);
  }
  [[nodiscard]] std::string description() const override {
    return "Switchable{" + on_->description() + "}";
  }

 private:
  std::shared_ptr<const lumen::trace::Sampler> on_;
  std::atomic<bool> enabled_{true};
};

}  // namespace beautifyai
