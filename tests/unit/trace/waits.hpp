// How long the trace tests wait: a batch schedule delay that never comes during a test, and the
// bound on a wait for what must happen (generous, for sanitizer builds on a busy machine).
#pragma once

#include <chrono>

namespace lumen::trace {

inline constexpr auto kNever = std::chrono::hours(1);
inline constexpr auto kPatience = std::chrono::seconds(20);

}  // namespace lumen::trace
