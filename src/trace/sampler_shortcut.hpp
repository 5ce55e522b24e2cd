// What a built-in sampler decides, known without asking it: the tracer takes the decision inline,
// and calls the sampler only when it is not built in or depends on more than the parent (a trace
// id ratio). The virtual call with its five arguments was a sixth of an unsampled span's start,
// and a call there made the start save registers that it otherwise does not need
// (bench/RESULTS.md, "The unsampled span without a call").
#pragma once

#include <cstdint>

#include "lumen/trace/sampler.hpp"

namespace lumen::trace::detail {

enum class SamplerRule : std::uint8_t {
  kSample,
  kDrop,
  kFollowParent,  // sample when the parent is sampled
  kAsk,           // call the sampler
};

struct SamplerShortcut {
  SamplerRule root = SamplerRule::kAsk;         // a span without a parent
  SamplerRule with_parent = SamplerRule::kAsk;  // a span with a valid parent
};

// The shortcut for `sampler`: kAsk for both unless it is one of Sampler's own.
[[nodiscard]] SamplerShortcut shortcut_of(const Sampler& sampler) noexcept;

}  // namespace lumen::trace::detail
