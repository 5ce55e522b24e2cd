// RequestCoalescer's stale-while-revalidate option, driven by a manual clock.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>

#include "eventually.hpp"
#include "lumen/core/clock.hpp"
#include "lumen/export/memory_exporter.hpp"
#include "lumen/perf/request_coalescer.hpp"
#include "lumen/trace/tracer_provider.hpp"

namespace lumen::perf {
namespace {

using namespace std::chrono_literals;
using lumen::testing::eventually;

// An upstream whose calls block until release() (shared state, so that copies of the fn that the
// refresh thread holds see the same gate).
struct GatedUpstream {
  struct State {
    std::promise<void> gate;
    std::shared_future<void> opened = gate.get_future().share();
    std::atomic<int> calls{0};
    std::atomic<bool> fail{false};
  };
  std::shared_ptr<State> state = std::make_shared<State>();

  auto fn() const {
    return [st = state] {
      const int n = ++st->calls;
      st->opened.wait();
      if (st->fail) throw std::runtime_error("upstream down");
      return n;
    };
  }
  void release() const { state->gate.set_value(); }
  int calls() const { return state->calls; }
};

CoalescerOptions swr_options(const ManualClock& clock) {
  return {.ttl = 10s, .clock = &clock, .stale_grace = 5s};
}

TEST(StaleWhileRevalidate, ServesTheStaleValueAtOnceWhileOneBackgroundRefreshRuns) {
  ManualClock clock;
  RequestCoalescer<int> c(swr_options(clock));
  EXPECT_EQ(c.get("k", [] { return 1; }), 1);
  clock.advance(11s);  // past the ttl, inside the grace period

  GatedUpstream up;
  // The refresh blocks, yet every caller returns the stale value without waiting.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(c.get("k", up.fn()), 1);
  ASSERT_TRUE(eventually([&] { return up.calls() == 1; }));
  EXPECT_EQ(c.stats().stale_hits, 5u);
  EXPECT_EQ(c.stats().in_flight, 1u);  // exactly one refresh

  up.release();
  ASSERT_TRUE(eventually([&] { return c.stats().in_flight == 0; }));
  EXPECT_EQ(c.get("k", [] { return -1; }), 1);  // the refresh's result (its first call), fresh
  EXPECT_EQ(up.calls(), 1);
  const CoalescerStats st = c.stats();
  EXPECT_EQ(st.executions, 2u);
  EXPECT_EQ(st.stale_hits, 5u);
  EXPECT_EQ(st.hits, 1u);
  clock.advance(9s);  // the refreshed entry got a whole new ttl
  EXPECT_EQ(c.get("k", [] { return -1; }), 1);
  EXPECT_EQ(c.stats().stale_hits, 5u);
}

TEST(StaleWhileRevalidate, RefreshErrorKeepsTheStaleValueUntilGraceEnds) {
  ManualClock clock;
  RequestCoalescer<int> c(swr_options(clock));
  (void)c.get("k", [] { return 1; });
  clock.advance(11s);
  GatedUpstream up;
  up.state->fail = true;
  up.release();
  EXPECT_EQ(c.get("k", up.fn()), 1);
  ASSERT_TRUE(eventually([&] { return c.stats().errors == 1 && c.stats().in_flight == 0; }));
  // Still stale and served; this call starts another refresh, which fails too.
  clock.advance(3s);
  EXPECT_EQ(c.get("k", up.fn()), 1);
  ASSERT_TRUE(eventually([&] { return c.stats().errors == 2 && c.stats().in_flight == 0; }));
  // Grace over (10 s ttl + 5 s grace): a caller now runs the function itself and sees its error.
  clock.advance(2s);
  EXPECT_THROW((void)c.get("k", up.fn()), std::runtime_error);
  EXPECT_EQ(c.stats().stale_hits, 2u);
}

TEST(StaleWhileRevalidate, AfterGraceCallersWaitForAFreshValue) {
  ManualClock clock;
  RequestCoalescer<int> c(swr_options(clock));
  (void)c.get("k", [] { return 1; });
  clock.advance(15s);
  EXPECT_EQ(c.get("k", [] { return 2; }), 2);
  EXPECT_EQ(c.stats().stale_hits, 0u);
}

TEST(StaleWhileRevalidate, WithoutGraceAnExpiredEntryIsAMiss) {
  ManualClock clock;
  RequestCoalescer<int> c({.ttl = 10s, .clock = &clock});
  (void)c.get("k", [] { return 1; });
  clock.advance(11s);
  EXPECT_EQ(c.get("k", [] { return 2; }), 2);
}

TEST(StaleWhileRevalidate, AFunctionThatCannotBeCopiedIsRefreshedByTheCaller) {
  ManualClock clock;
  RequestCoalescer<int> c(swr_options(clock));
  (void)c.get("k", [] { return 1; });
  clock.advance(11s);
  auto owned = std::make_unique<int>(7);
  EXPECT_EQ(c.get("k", [p = std::move(owned)] { return *p; }), 7);
  EXPECT_EQ(c.get("k", [] { return -1; }), 7);
}

TEST(StaleWhileRevalidate, RefreshSpanJoinsTheTraceOfTheCallerThatFoundTheValueStale) {
  auto memory = std::make_shared<exporters::InMemorySpanExporter>();
  trace::TracerProvider provider{
      {.processor = std::make_unique<trace::SimpleSpanProcessor>(memory)}};
  trace::Tracer& tracer = provider.tracer("test");
  ManualClock clock;
  RequestCoalescer<int> c({.ttl = 10s, .clock = &clock, .tracer = &tracer, .stale_grace = 5s});
  (void)c.get("k", [] { return 1; });
  clock.advance(11s);
  SpanContext request;
  tracer.trace("request", [&](trace::Span& span) {
    request = span.context();
    EXPECT_EQ(c.get("k", [] { return 2; }), 1);
  });
  ASSERT_TRUE(eventually([&] { return c.stats().in_flight == 0 && memory->spans().size() == 3; }));
  const auto spans = memory->spans();
  const auto refresh = std::find_if(spans.begin(), spans.end(), [&](const trace::SpanData& s) {
    return s.name == "coalescer.execute" && s.context.trace_id() == request.trace_id();
  });
  ASSERT_NE(refresh, spans.end());
  EXPECT_EQ(refresh->parent_span_id, request.span_id());
}

TEST(StaleWhileRevalidate, DestroyingTheCoalescerWaitsForARunningRefresh) {
  ManualClock clock;
  GatedUpstream up;
  std::future<void> released;
  {
    RequestCoalescer<int> c(swr_options(clock));
    (void)c.get("k", [] { return 1; });
    clock.advance(11s);
    EXPECT_EQ(c.get("k", up.fn()), 1);
    ASSERT_TRUE(eventually([&] { return up.calls() == 1; }));
    released = std::async(std::launch::async, [&] { up.release(); });
  }  // joins the refresh thread after the refresh returns
  released.get();
  EXPECT_EQ(up.calls(), 1);
}

}  // namespace
}  // namespace lumen::perf
