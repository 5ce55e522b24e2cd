#include "trace/stacktrace.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace lumen::trace::detail {
namespace {

// Each instantiation is a call site of its own, so a stack of its own.
template <int Site>
[[gnu::noinline]] std::string stack_from_site() {
  std::string text = current_stacktrace();
  asm volatile("" ::: "memory");  // keeps the call from becoming a tail call
  return text;
}

template <int... Sites>
std::vector<std::string> stacks_from_sites(std::integer_sequence<int, Sites...>) {
  return {stack_from_site<Sites>()...};
}

// A stack includes the return address of every caller: each test calls a site from one place
// only (in a loop) so that the stacks it compares are the same.

TEST(Stacktrace, ARepeatedStackIsTurnedIntoTextOnceAndGivesTheSameText) {
  const std::uint64_t before = stacks_symbolized();
  std::vector<std::string> texts;
  for (int i = 0; i < 100; ++i) texts.push_back(stack_from_site<0>());
  EXPECT_LE(stacks_symbolized() - before, 1U);  // none when an earlier repetition kept it
  for (const std::string& text : texts) EXPECT_EQ(text, texts[0]);
  // One line per frame, the innermost first: the call site in this test binary.
  const std::string& first = texts[0];
  ASSERT_GE(std::count(first.begin(), first.end(), '\n'), 2);
  EXPECT_NE(first.substr(0, first.find('\n')).find("unit_tests"), std::string::npos) << first;
}

TEST(Stacktrace, TwoCallSitesAreTwoStacks) {
  const std::uint64_t before = stacks_symbolized();
  std::string a[2];
  std::string b[2];
  for (int round = 0; round < 2; ++round) {
    a[round] = stack_from_site<1>();
    b[round] = stack_from_site<2>();
  }
  EXPECT_NE(a[0], b[0]);
  EXPECT_EQ(a[1], a[0]);
  EXPECT_EQ(b[1], b[0]);
  EXPECT_LE(stacks_symbolized() - before, 2U);
}

TEST(Stacktrace, AtMostTheBoundIsKeptAndAForgottenStackComesBackTheSame) {
  std::string early[2];
  std::uint64_t early_symbolized[2];
  std::vector<std::string> many[2];
  for (int round = 0; round < 2; ++round) {
    const std::uint64_t before = stacks_symbolized();
    early[round] = stack_from_site<3>();
    early_symbolized[round] = stacks_symbolized() - before;
    // More distinct stacks than are kept: the store fills and forgets the early one.
    many[round] = stacks_from_sites(std::make_integer_sequence<int, kKeptStacks + 44>());
    EXPECT_LE(stacks_kept(), kKeptStacks);
  }
  EXPECT_EQ(early_symbolized[1], 1U);
  EXPECT_EQ(early[1], early[0]);
  EXPECT_EQ(many[1], many[0]);
}

TEST(Stacktrace, ThreadsRecordingOneStackAllGetItsText) {
  constexpr std::size_t kThreads = 4;
  std::vector<std::vector<std::string>> texts(kThreads);
  const std::uint64_t before = stacks_symbolized();
  {
    std::vector<std::jthread> threads;
    for (std::size_t t = 0; t < kThreads; ++t) {
      threads.emplace_back([&texts, t] {
        for (int i = 0; i < 200; ++i) texts[t].push_back(stack_from_site<kKeptStacks + 50>());
      });
    }
  }
  // Threads that miss at once may each turn the stack into text; none does it twice.
  EXPECT_LE(stacks_symbolized() - before, kThreads);
  for (const auto& per_thread : texts) {
    for (const std::string& text : per_thread) EXPECT_EQ(text, texts[0][0]);
  }
}

}  // namespace
}  // namespace lumen::trace::detail
