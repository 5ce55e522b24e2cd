// The text of the calling code's stack, for the exception.stacktrace of an exception event.
//
// Turning a stack into text (backtrace_symbols: dladdr for every frame, under the dynamic loader's
// lock) cost 15 us and more per call, where walking the stack costs about one: a gateway whose
// upstream was down, recording every failed call's exception, fell from 84,000 to 35,000 requests
// a second with tracing on. A failure that repeats comes from the same code every time, so the
// text of each distinct stack is kept (up to kKeptStacks of them; then all are forgotten and kept
// again as they come) and only a stack not seen before is turned into text.
// Thread-safety: any thread may call it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace lumen::trace::detail {

inline constexpr std::size_t kKeptStacks = 256;

// One frame per line, innermost first, starting with this function's caller.
[[nodiscard]] std::string current_stacktrace();

// For tests: how many stacks were turned into text since the process started, and how many texts
// are kept now.
[[nodiscard]] std::uint64_t stacks_symbolized() noexcept;
[[nodiscard]] std::size_t stacks_kept();

}  // namespace lumen::trace::detail
