#include "lumen/trace/span_data_pool.hpp"

#include <gtest/gtest.h>

#include <latch>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "cpu_pinning.hpp"

namespace lumen::trace {
namespace {

using testing::PinnedToCpu;

// A full chunk: what a thread with an empty cache takes from a pool in one go.
constexpr std::size_t kChunk = 32;

// Makes `n` spans and returns them with their addresses.
std::vector<std::unique_ptr<SpanData>> make_spans(std::size_t n, std::set<const SpanData*>& at) {
  std::vector<std::unique_ptr<SpanData>> spans;
  for (std::size_t i = 0; i < n; ++i) {
    spans.push_back(std::make_unique<SpanData>());
    at.insert(spans.back().get());
  }
  return spans;
}

// The first span that a new thread pinned to each of the first `cpus` CPUs starts (its own cache
// is empty). The threads all take theirs before any of them ends: a thread that ends gives its
// cache back to the pool of whatever CPU it ends on, and that would mix the pools under test.
std::vector<const SpanData*> first_spans_started_on(int cpus) {
  std::vector<const SpanData*> got(static_cast<std::size_t>(cpus), nullptr);
  std::latch all_taken(cpus);
  std::vector<std::thread> threads;
  for (int cpu = 0; cpu < cpus; ++cpu) {
    threads.emplace_back([&, cpu] {
      PinnedToCpu pin(cpu);
      std::unique_ptr<SpanData> span = pin.pinned() ? make_span_data() : nullptr;
      got[static_cast<std::size_t>(cpu)] = span.get();
      all_taken.arrive_and_wait();
      recycle(std::move(span));
    });
  }
  for (auto& t : threads) t.join();
  return got;
}

TEST(SpanDataPool, RecycledSpansAreStartedAgainClearedExceptTheirName) {
  std::unique_ptr<SpanData> span = make_span_data();
  span->name = "kept";
  span->start_ns = 42;
  span->attributes.set("k", "v");
  const SpanData* at = span.get();
  recycle(std::move(span));
  std::unique_ptr<SpanData> again = make_span_data();
  EXPECT_EQ(again.get(), at);
  EXPECT_EQ(again->start_ns, 0u);
  EXPECT_TRUE(again->attributes.empty());
  EXPECT_EQ(again->name, "kept");
}

// Spans sent back to a CPU are started again by a thread on that CPU, and not by one elsewhere
// while that one has spans of its own, whichever CPU sent them back.
TEST(SpanDataPool, SpansRecycledForACpuGoToThreadsOnThatCpu) {
  // The pools are the process's: earlier tests in this process may have filled them, and a full
  // pool frees what it is given. Taking more than they hold (4096) and this thread's cache (64)
  // empties them.
  std::vector<std::unique_ptr<SpanData>> emptied;
  for (int i = 0; i < 4096 + 64; ++i) emptied.push_back(make_span_data());
  const int cpus = std::thread::hardware_concurrency() >= 2 ? 2 : 1;
  std::vector<std::set<const SpanData*>> for_cpu(static_cast<std::size_t>(cpus));
  for (int cpu = 0; cpu < cpus; ++cpu) {
    // Recycled from another CPU when there is one, so that the CPU argument is what counts.
    PinnedToCpu elsewhere(cpus - 1 - cpu);
    ASSERT_TRUE(elsewhere.pinned());
    const auto at = static_cast<std::size_t>(cpu);
    std::vector<std::unique_ptr<SpanData>> spans = make_spans(kChunk, for_cpu[at]);
    recycle(std::span(spans), at);
    for (const auto& span : spans) EXPECT_EQ(span, nullptr) << "recycle left a span behind";
  }
  const std::vector<const SpanData*> first = first_spans_started_on(cpus);
  for (std::size_t cpu = 0; cpu < first.size(); ++cpu) {
    EXPECT_TRUE(for_cpu[cpu].contains(first[cpu])) << "CPU " << cpu;
  }
}

}  // namespace
}  // namespace lumen::trace
