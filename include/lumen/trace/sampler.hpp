// Samplers decide, when a span starts, whether it is recorded and exported.
//
// always_on, always_off, traceidratio (deterministic on the trace id, so every service of a trace
// agrees) and parentbased (follow the parent's sampled flag; use a root sampler for new traces).
//
//   auto sampler = lumen::trace::Sampler::parent_based(lumen::trace::Sampler::trace_id_ratio(0.1));
//   auto from_env = lumen::trace::Sampler::from_name("parentbased_traceidratio", "0.25");
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "lumen/core/span_context.hpp"
#include "lumen/trace/span_data.hpp"

namespace lumen::trace {

enum class SamplingDecision : std::uint8_t { kDrop, kRecordOnly, kRecordAndSample };

// Thread-safety: should_sample is called concurrently from every thread that starts spans.
class Sampler {
 public:
  virtual ~Sampler() = default;
  // `parent` is invalid for a root span.
  [[nodiscard]] virtual SamplingDecision should_sample(const SpanContext& parent,
                                                       const TraceId& trace_id,
                                                       std::string_view name,
                                                       SpanKind kind) const noexcept = 0;
  // As the OpenTelemetry spec names it, e.g. "ParentBased{root=TraceIdRatioBased{0.250000}}".
  [[nodiscard]] virtual std::string description() const = 0;

  static std::shared_ptr<const Sampler> always_on();
  static std::shared_ptr<const Sampler> always_off();
  // Samples when the trace id's random low 56 bits fall below ratio * 2^56. ratio in [0, 1].
  static std::shared_ptr<const Sampler> trace_id_ratio(double ratio);
  // Follows the parent's sampled flag; `root` decides for spans without a parent.
  static std::shared_ptr<const Sampler> parent_based(std::shared_ptr<const Sampler> root);
  // The OTEL_TRACES_SAMPLER names: always_on, always_off, traceidratio, parentbased_always_on,
  // parentbased_always_off, parentbased_traceidratio; `arg` is OTEL_TRACES_SAMPLER_ARG (a ratio,
  // default 1.0). Throws lumen::Error on an unknown name or a bad ratio.
  static std::shared_ptr<const Sampler> from_name(std::string_view name, std::string_view arg);
};

}  // namespace lumen::trace
