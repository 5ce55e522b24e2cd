// Span timestamps and durations in the microseconds Zipkin and Jaeger carry (lumen keeps
// nanoseconds; the division truncates, as both projects' own clients do).
#pragma once

#include <cstdint>

namespace lumen::exporters::detail {

[[nodiscard]] constexpr std::int64_t micros(std::uint64_t ns) noexcept {
  return static_cast<std::int64_t>(ns / 1000);  // at most 2^64 / 1000: always fits
}

}  // namespace lumen::exporters::detail
