#include "lumen/core/context.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <thread>

#include "core/id_generator.hpp"

namespace lumen {
namespace {

SpanContext new_span() {
  return SpanContext(IdGenerator::trace_id(), IdGenerator::span_id(), SpanContext::kSampledFlag);
}

TEST(Context, NothingIsCurrentByDefault) {
  EXPECT_FALSE(Context::current().span().is_valid());
  EXPECT_TRUE(Context::current().baggage().empty());
}

TEST(Context, ScopesNestAndRestoreTheOuterContext) {
  const SpanContext outer = new_span();
  const SpanContext inner = new_span();
  {
    auto outer_scope = Context().with_span(outer).activate();
    EXPECT_EQ(Context::current().span().span_id(), outer.span_id());
    {
      auto inner_scope = Context::current().with_span(inner).activate();
      EXPECT_EQ(Context::current().span().span_id(), inner.span_id());
    }
    EXPECT_EQ(Context::current().span().span_id(), outer.span_id());
  }
  EXPECT_FALSE(Context::current().span().is_valid());
}

TEST(Context, ActivatingAnEmptyContextHidesTheOuterOne) {
  auto outer = Context().with_span(new_span()).activate();
  {
    auto root = Context().activate();
    EXPECT_FALSE(Context::current().span().is_valid());
  }
  EXPECT_TRUE(Context::current().span().is_valid());
}

// A scope kept in an optional can end before one made after it. The inner one stays current, and
// when it ends, what the outer one hid is current again, not the outer one's ended context.
TEST(Context, AScopeThatEndsOutOfOrderLeavesTheInnerOneRestoringWhatItHid) {
  const SpanContext outer_span = new_span();
  const SpanContext middle_span = new_span();
  const SpanContext inner_span = new_span();
  auto outer = Context().with_span(outer_span).activate();
  {
    std::optional<ContextScope> middle;
    middle.emplace(Context().with_span(middle_span));
    {
      auto inner = Context().with_span(inner_span).activate();
      middle.reset();
      EXPECT_EQ(Context::current().span().span_id(), inner_span.span_id());
    }
    EXPECT_EQ(Context::current().span().span_id(), outer_span.span_id());
  }
  EXPECT_EQ(Context::current().span().span_id(), outer_span.span_id());
}

TEST(Context, ScopeRestoresWhenAnExceptionUnwinds) {
  const SpanContext span = new_span();
  EXPECT_THROW(
      {
        auto scope = Context().with_span(span).activate();
        throw std::runtime_error("x");
      },
      std::runtime_error);
  EXPECT_FALSE(Context::current().span().is_valid());
}

TEST(Context, WrapCarriesTheContextToAnotherThreadAndRestoresItAfterwards) {
  const SpanContext carried = new_span();
  const SpanContext worker_own = new_span();
  auto scope = Context().with_span(carried).with_baggage(Baggage{}.with("k", "v")).activate();
  auto task = Context::current().wrap([](int add) {
    EXPECT_EQ(Context::current().baggage().get("k"), "v");
    return std::make_pair(Context::current().span().span_id(), add + 1);
  });

  SpanId seen_inside;
  int result = 0;
  SpanId after_on_worker;
  std::thread worker([&] {
    auto own = Context().with_span(worker_own).activate();  // the worker's own context
    auto [id, value] = task(41);
    seen_inside = id;
    result = value;
    after_on_worker = Context::current().span().span_id();
  });
  worker.join();
  EXPECT_EQ(seen_inside, carried.span_id());
  EXPECT_EQ(result, 42);
  EXPECT_EQ(after_on_worker, worker_own.span_id());
  EXPECT_EQ(Context::current().span().span_id(), carried.span_id());
}

TEST(Context, WrapCapturesTheContextWhenWrappedNotWhenRun) {
  const SpanContext at_wrap = new_span();
  std::function<SpanId()> task;
  {
    auto scope = Context().with_span(at_wrap).activate();
    task = Context::current().wrap([] { return Context::current().span().span_id(); });
  }
  auto later = Context().with_span(new_span()).activate();
  EXPECT_EQ(task(), at_wrap.span_id());
}

TEST(Context, WrapRestoresTheWorkersContextWhenTheTaskThrows) {
  auto task = Context().with_span(new_span()).wrap([] { throw std::runtime_error("task failed"); });
  std::thread worker([&] {
    EXPECT_THROW(task(), std::runtime_error);
    EXPECT_FALSE(Context::current().span().is_valid());
  });
  worker.join();
}

TEST(Context, BaggageTravelsWithTheContext) {
  const Baggage bag = Baggage{}.with("user.tier", "pro").with("user.id", "u-1");
  {
    auto scope = Context::current().with_baggage(bag).activate();
    EXPECT_EQ(Context::current().baggage().get("user.tier"), "pro");
    // Replacing the span keeps the baggage.
    auto inner = Context::current().with_span(new_span()).activate();
    EXPECT_EQ(Context::current().baggage(), bag);
  }
  EXPECT_TRUE(Context::current().baggage().empty());
}

TEST(Context, EmptyBaggageClearsIt) {
  const Context with = Context().with_baggage(Baggage{}.with("a", "1"));
  EXPECT_TRUE(with.with_baggage(Baggage{}).baggage().empty());
  EXPECT_EQ(with.baggage().get("a"), "1");  // contexts are immutable values
}

TEST(Baggage, WithReplacesAndWithoutRemoves) {
  const Baggage a = Baggage{}.with("k", "1").with("other", "x", "prop");
  const Baggage b = a.with("k", "2");
  EXPECT_EQ(a.get("k"), "1");
  EXPECT_EQ(b.get("k"), "2");
  EXPECT_EQ(b.entries().size(), 2u);
  EXPECT_EQ(b.entries()[0].metadata, "prop");
  const Baggage c = b.without("k");
  EXPECT_EQ(c.get("k"), std::nullopt);
  EXPECT_EQ(c.entries().size(), 1u);
  EXPECT_EQ(c.get("missing"), std::nullopt);
}

TEST(Baggage, BuiltFromEntriesEqualsTheSameChainOfWith) {
  const Baggage built({{"a", "1", ""}, {"b", "2", "p"}, {"a", "3", ""}, {"c", "4", ""}});
  const Baggage chained =
      Baggage{}.with("a", "1").with("b", "2", "p").with("a", "3").with("c", "4");
  EXPECT_EQ(built, chained);
  ASSERT_EQ(built.entries().size(), 3u);
  EXPECT_EQ(built.entries()[0].key, "b");
  EXPECT_EQ(built.get("a"), "3");
}

}  // namespace
}  // namespace lumen
