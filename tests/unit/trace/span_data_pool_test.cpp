#include "lumen/trace/span_data_pool.hpp"

#include <gtest/gtest.h>

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

// The first span that a new thread pinned to `cpu` starts (its own cache is empty).
const SpanData* first_span_started_on(int cpu) {
  const SpanData* got = nullptr;
  std::thread([&] {
    PinnedToCpu pin(cpu);
    ASSERT_TRUE(pin.pinned());
    std::unique_ptr<SpanData> span = make_span_data();
    got = span.get();
    recycle(std::move(span));
  }).join();
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
  if (std::thread::hardware_concurrency() < 2) {
    std::set<const SpanData*> mine;
    std::vector<std::unique_ptr<SpanData>> spans = make_spans(kChunk, mine);
    recycle(std::span(spans), 0);
    for (const auto& span : spans) EXPECT_EQ(span, nullptr) << "recycle left a span behind";
    EXPECT_TRUE(mine.contains(first_span_started_on(0)));
    return;
  }
  std::set<const SpanData*> for_cpu[2];
  for (int cpu : {0, 1}) {
    PinnedToCpu on_the_other(1 - cpu);
    ASSERT_TRUE(on_the_other.pinned());
    std::vector<std::unique_ptr<SpanData>> spans = make_spans(kChunk, for_cpu[cpu]);
    recycle(std::span(spans), static_cast<std::size_t>(cpu));
    for (const auto& span : spans) EXPECT_EQ(span, nullptr) << "recycle left a span behind";
  }
  EXPECT_TRUE(for_cpu[1].contains(first_span_started_on(1)));
  EXPECT_TRUE(for_cpu[0].contains(first_span_started_on(0)));
}

}  // namespace
}  // namespace lumen::trace
