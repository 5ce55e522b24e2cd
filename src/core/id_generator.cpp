#include "core/id_generator.hpp"

#include <sys/random.h>
#include <unistd.h>

#include <chrono>

namespace lumen::detail {

void IdState::seed() noexcept {
  ForkRegistry::install();  // so that a child process sees the generation move
  generation = ForkRegistry::generation();
  std::uint64_t entropy[4] = {};
  if (getrandom(entropy, sizeof entropy, 0) != static_cast<ssize_t>(sizeof entropy)) {
    // No entropy source: mix time, pid and this object's address; still unique enough.
    entropy[0] = static_cast<std::uint64_t>(
        std::chrono::high_resolution_clock::now().time_since_epoch().count());
    entropy[1] = static_cast<std::uint64_t>(getpid());
    entropy[2] = reinterpret_cast<std::uintptr_t>(this);
    entropy[3] = 0x9E3779B97F4A7C15ULL;
  }
  // splitmix64 spreads the seed so that no state word is zero.
  std::uint64_t x = entropy[0] ^ entropy[1] ^ entropy[2] ^ entropy[3];
  for (int i = 0; i < 4; ++i) {
    x += 0x9E3779B97F4A7C15ULL;
    std::uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    s[i] = z ^ (z >> 31) ^ entropy[i];
  }
  if ((s[0] | s[1] | s[2] | s[3]) == 0) s[0] = 1;
}

}  // namespace lumen::detail
