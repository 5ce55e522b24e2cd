// A TracerProvider against the spans it made: spans that end after its shutdown or destruction,
// and spans that an exporter keeps after it is gone. Built with AddressSanitizer, each of these
// reports a heap-use-after-free if a span or its data still points into a destroyed provider.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>

#include "lumen/export/memory_exporter.hpp"
#include "lumen/trace/tracer_provider.hpp"

namespace lumen::trace {
namespace {

std::unique_ptr<TracerProvider> make_provider(
    std::shared_ptr<exporters::InMemorySpanExporter> memory, std::string_view service) {
  return std::make_unique<TracerProvider>(TracerProviderOptions{
      .resource = Resource(Attributes{{"service.name", std::string(service)}}),
      .processor = std::make_unique<SimpleSpanProcessor>(std::move(memory))});
}

TEST(TracerProviderLifetime, SpanEndedAfterTheProviderIsDestroyedIsDroppedAndCounted) {
  auto memory = std::make_shared<exporters::InMemorySpanExporter>();
  auto provider = make_provider(memory, "lifetime-test");
  Span span = provider->tracer("lifetime").start("outlives its provider");
  ASSERT_TRUE(span.is_recording());
  provider.reset();

  const std::uint64_t before = spans_ended_after_shutdown();
  span.set("after", "destruction").set("attempt", 2).add_event("late");
  span.end();
  EXPECT_EQ(spans_ended_after_shutdown() - before, 1u);
  EXPECT_EQ(memory->size(), 0u);
}

TEST(TracerProviderLifetime, SpanEndedAfterShutdownIsDroppedAndCounted) {
  auto memory = std::make_shared<exporters::InMemorySpanExporter>();
  auto provider = make_provider(memory, "lifetime-test");
  Span span = provider->tracer("lifetime").start("outlives the shutdown");
  ASSERT_TRUE(provider->shutdown());

  const std::uint64_t before = spans_ended_after_shutdown();
  span.end();
  EXPECT_EQ(spans_ended_after_shutdown() - before, 1u);
  EXPECT_EQ(memory->size(), 0u);
  // Started after the shutdown: not recording, so nothing to drop or count.
  provider->tracer("lifetime").start("too late").end();
  EXPECT_EQ(spans_ended_after_shutdown() - before, 1u);
}

TEST(TracerProviderLifetime, SpansKeptByAnExporterKeepTheirScopeAndResource) {
  auto memory = std::make_shared<exporters::InMemorySpanExporter>();
  {
    auto provider = make_provider(memory, "lifetime-test");
    provider->tracer("kept", "2.0").start("exported").end();
  }
  const auto spans = memory->spans();
  ASSERT_EQ(spans.size(), 1u);
  ASSERT_NE(spans[0].scope, nullptr);
  EXPECT_EQ(spans[0].scope->name, "kept");
  EXPECT_EQ(spans[0].scope->version, "2.0");
  ASSERT_NE(spans[0].scope->resource, nullptr);
  EXPECT_EQ(spans[0].scope->resource->service_name(), "lifetime-test");
}

// Span data is pooled and keeps its last scope while it waits: the next provider's spans must
// still carry their own scope, not the one of the provider that used the data before.
TEST(TracerProviderLifetime, RecycledSpanDataTakesTheScopeOfTheTracerThatStartsIt) {
  auto memory = std::make_shared<exporters::InMemorySpanExporter>();
  make_provider(memory, "first")->tracer("first-scope").start("one").end();
  auto second = make_provider(memory, "second");
  second->tracer("second-scope").start("two").end();

  const auto spans = memory->spans();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].scope->name, "first-scope");
  EXPECT_EQ(spans[0].scope->resource->service_name(), "first");
  EXPECT_EQ(spans[1].scope->name, "second-scope");
  EXPECT_EQ(spans[1].scope->resource->service_name(), "second");
}

TEST(TracerProviderLifetime, TracersOfOneProviderTakingTurnsEachGiveTheirOwnScope) {
  auto memory = std::make_shared<exporters::InMemorySpanExporter>();
  auto provider = make_provider(memory, "turns");
  for (int i = 0; i < 4; ++i) {
    provider->tracer("even").start("a").end();
    provider->tracer("odd", "2").start("b").end();
  }
  const auto spans = memory->spans();
  ASSERT_EQ(spans.size(), 8u);
  for (const SpanData& span : spans) {
    EXPECT_EQ(span.scope->name, span.name == "a" ? "even" : "odd");
    EXPECT_EQ(span.scope->version, span.name == "a" ? "" : "2");
    EXPECT_EQ(span.scope->resource->service_name(), "turns");
  }
  provider.reset();
  EXPECT_EQ(memory->spans().back().scope->name, "odd");  // still whole after the provider is gone
}

}  // namespace
}  // namespace lumen::trace
