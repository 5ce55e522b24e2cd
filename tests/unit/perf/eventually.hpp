// Test helper: polls a condition until it holds or a deadline passes (no fixed sleeps).
#pragma once

#include <chrono>
#include <thread>

namespace lumen::perf::testing {

template <typename Pred>
bool eventually(Pred done, std::chrono::steady_clock::duration limit = std::chrono::seconds(2)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

}  // namespace lumen::perf::testing
