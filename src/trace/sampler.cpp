#include "lumen/trace/sampler.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "lumen/core/error.hpp"
#include "sampler_shortcut.hpp"

namespace lumen::trace {
namespace {

class AlwaysOn final : public Sampler {
 public:
  SamplingDecision should_sample(const SpanContext&, const TraceId&, std::string_view,
                                 SpanKind) const noexcept override {
    return SamplingDecision::kRecordAndSample;
  }
  std::string description() const override { return "AlwaysOnSampler"; }
};

class AlwaysOff final : public Sampler {
 public:
  SamplingDecision should_sample(const SpanContext&, const TraceId&, std::string_view,
                                 SpanKind) const noexcept override {
    return SamplingDecision::kDrop;
  }
  std::string description() const override { return "AlwaysOffSampler"; }
};

class TraceIdRatio final : public Sampler {
 public:
  explicit TraceIdRatio(double ratio) : ratio_(ratio) {
    constexpr double kRange = 72057594037927936.0;  // 2^56
    threshold_ = ratio >= 1.0 ? (1ULL << 56) : static_cast<std::uint64_t>(ratio * kRange);
  }
  SamplingDecision should_sample(const SpanContext&, const TraceId& trace_id, std::string_view,
                                 SpanKind) const noexcept override {
    // The W3C "random" trace id bits are the rightmost 7 bytes.
    const std::uint64_t randomness = trace_id.low64() & ((1ULL << 56) - 1);
    return randomness < threshold_ ? SamplingDecision::kRecordAndSample : SamplingDecision::kDrop;
  }
  std::string description() const override {
    char buf[64];
    std::snprintf(buf, sizeof buf, "TraceIdRatioBased{%f}", ratio_);
    return buf;
  }

 private:
  double ratio_;
  std::uint64_t threshold_;
};

class ParentBased final : public Sampler {
 public:
  explicit ParentBased(std::shared_ptr<const Sampler> root) : root_(std::move(root)) {}
  SamplingDecision should_sample(const SpanContext& parent, const TraceId& trace_id,
                                 std::string_view name, SpanKind kind) const noexcept override {
    if (!parent.is_valid()) return root_->should_sample(parent, trace_id, name, kind);
    return parent.is_sampled() ? SamplingDecision::kRecordAndSample : SamplingDecision::kDrop;
  }
  std::string description() const override {
    return "ParentBased{root=" + root_->description() + "}";
  }
  [[nodiscard]] const Sampler& root() const noexcept { return *root_; }

 private:
  std::shared_ptr<const Sampler> root_;
};

double parse_ratio(std::string_view arg) {
  if (arg.empty()) return 1.0;
  double ratio = 0;
  auto [ptr, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), ratio);
  if (ec != std::errc() || ptr != arg.data() + arg.size() || !(ratio >= 0.0 && ratio <= 1.0)) {
    throw Error("OTEL_TRACES_SAMPLER_ARG='" + std::string(arg) +
                "' is not valid: expected a sampling ratio between 0 and 1, such as 0.25.");
  }
  return ratio;
}

// The rule of a sampler that decides alone, whatever the parent: kAsk unless always on or off.
detail::SamplerRule fixed_rule(const Sampler& sampler) noexcept {
  if (dynamic_cast<const AlwaysOn*>(&sampler) != nullptr) return detail::SamplerRule::kSample;
  if (dynamic_cast<const AlwaysOff*>(&sampler) != nullptr) return detail::SamplerRule::kDrop;
  return detail::SamplerRule::kAsk;
}

}  // namespace

namespace detail {

SamplerShortcut shortcut_of(const Sampler& sampler) noexcept {
  if (const auto* parent_based = dynamic_cast<const ParentBased*>(&sampler)) {
    return {fixed_rule(parent_based->root()), SamplerRule::kFollowParent};
  }
  const SamplerRule rule = fixed_rule(sampler);
  return {rule, rule};
}

}  // namespace detail

std::shared_ptr<const Sampler> Sampler::always_on() {
  static const auto s = std::make_shared<const AlwaysOn>();
  return s;
}

std::shared_ptr<const Sampler> Sampler::always_off() {
  static const auto s = std::make_shared<const AlwaysOff>();
  return s;
}

std::shared_ptr<const Sampler> Sampler::trace_id_ratio(double ratio) {
  if (!(ratio >= 0.0 && ratio <= 1.0)) {
    throw Error("trace id ratio " + std::to_string(ratio) + " is outside [0, 1]");
  }
  return std::make_shared<const TraceIdRatio>(ratio);
}

std::shared_ptr<const Sampler> Sampler::parent_based(std::shared_ptr<const Sampler> root) {
  return std::make_shared<const ParentBased>(std::move(root));
}

std::shared_ptr<const Sampler> Sampler::from_name(std::string_view name, std::string_view arg) {
  if (name == "always_on") return always_on();
  if (name == "always_off") return always_off();
  if (name == "traceidratio") return trace_id_ratio(parse_ratio(arg));
  if (name == "parentbased_always_on") return parent_based(always_on());
  if (name == "parentbased_always_off") return parent_based(always_off());
  if (name == "parentbased_traceidratio") return parent_based(trace_id_ratio(parse_ratio(arg)));
  throw Error("OTEL_TRACES_SAMPLER='" + std::string(name) +
              "' is not a known sampler: use always_on, always_off, traceidratio, "
              "parentbased_always_on, parentbased_always_off or parentbased_traceidratio.");
}

}  // namespace lumen::trace
