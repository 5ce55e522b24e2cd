// The instant the report tests' series start at, and one second, in the store's nanoseconds.
#pragma once

#include <cstdint>

namespace lumen::report {

inline constexpr std::uint64_t kT0 = 1'700'000'000'000'000'000ULL;
inline constexpr std::uint64_t kSec = 1'000'000'000ULL;

}  // namespace lumen::report
