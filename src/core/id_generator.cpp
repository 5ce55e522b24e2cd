#include "lumen/core/id_generator.hpp"

#include <sys/random.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "lumen/core/fork_safety.hpp"

namespace lumen {
namespace {

// xoshiro256** (Blackman and Vigna): fast, 256 bits of state, good statistical quality. Ids need
// uniqueness, not secrecy.
struct Xoshiro256 {
  std::uint64_t s[4];
  std::uint64_t generation = ~0ULL;

  static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }

  std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(s[1] * 5, 7) * 9;
    const std::uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
  }

  void seed() noexcept {
    std::uint64_t seed[4] = {};
    if (getrandom(seed, sizeof seed, 0) != static_cast<ssize_t>(sizeof seed)) {
      // No entropy source: mix time, pid and this object's address; still unique enough.
      seed[0] = static_cast<std::uint64_t>(
          std::chrono::high_resolution_clock::now().time_since_epoch().count());
      seed[1] = static_cast<std::uint64_t>(getpid());
      seed[2] = reinterpret_cast<std::uintptr_t>(this);
      seed[3] = 0x9E3779B97F4A7C15ULL;
    }
    // splitmix64 spreads the seed so that no state word is zero.
    std::uint64_t x = seed[0] ^ seed[1] ^ seed[2] ^ seed[3];
    for (auto& word : s) {
      x += 0x9E3779B97F4A7C15ULL;
      std::uint64_t z = x;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
      word = z ^ (z >> 31) ^ seed[&word - s];
    }
    if ((s[0] | s[1] | s[2] | s[3]) == 0) s[0] = 1;
  }
};

thread_local Xoshiro256 t_rng;

Xoshiro256& rng() noexcept {
  const std::uint64_t generation = ForkRegistry::generation();
  if (t_rng.generation != generation) [[unlikely]] {
    t_rng.seed();
    t_rng.generation = generation;
  }
  return t_rng;
}

std::uint64_t nonzero(Xoshiro256& r) noexcept {
  std::uint64_t v;
  do {
    v = r.next();
  } while (v == 0);
  return v;
}

}  // namespace

std::uint64_t IdGenerator::next_u64() noexcept { return rng().next(); }

TraceId IdGenerator::trace_id() noexcept {
  Xoshiro256& r = rng();
  const std::uint64_t hi = r.next();
  const std::uint64_t lo = nonzero(r);  // the low half non-zero keeps the whole id valid
  TraceId id;
  std::memcpy(id.mutable_bytes().data(), &hi, 8);
  std::memcpy(id.mutable_bytes().data() + 8, &lo, 8);
  return id;
}

SpanId IdGenerator::span_id() noexcept {
  const std::uint64_t v = nonzero(rng());
  SpanId id;
  std::memcpy(id.mutable_bytes().data(), &v, 8);
  return id;
}

}  // namespace lumen
