#include "core/id_generator.hpp"

#include <sys/random.h>
#include <unistd.h>

#include <chrono>

namespace lumen::detail {

void IdState::seed() noexcept {
  ForkRegistry::install();  // so that a child process sees the generation move
  generation = ForkRegistry::generation();
  std::uint64_t entropy[2] = {};
  if (getrandom(entropy, sizeof entropy, 0) != static_cast<ssize_t>(sizeof entropy)) {
    // No entropy source: time, pid and this object's address, spread by the mixer; still unique
    // enough.
    const auto now = static_cast<std::uint64_t>(
        std::chrono::high_resolution_clock::now().time_since_epoch().count());
    entropy[0] = mix(now ^ static_cast<std::uint64_t>(getpid()));
    entropy[1] = mix(entropy[0] ^ reinterpret_cast<std::uintptr_t>(this));
  }
  // Any start will do: a Weyl sequence visits every value.
  high_lane = entropy[0];
  low_lane = entropy[1];
}

}  // namespace lumen::detail
