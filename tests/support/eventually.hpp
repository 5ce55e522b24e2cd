// eventually(): polls a condition until it holds or the patience runs out, for tests that wait on
// another thread or process (no fixed sleeps). Polls every few milliseconds, giving the CPU to
// what is being waited for.
#pragma once

#include <chrono>
#include <thread>

namespace lumen::testing {

template <typename Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds patience = std::chrono::seconds(5),
                std::chrono::milliseconds poll = std::chrono::milliseconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(poll);
  }
  return predicate();
}

}  // namespace lumen::testing
