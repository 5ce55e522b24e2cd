// Span behaviour through the public API: attributes, limits, events, links, status, exceptions,
// ending, moving, sampling and start options. Spans reach an InMemorySpanExporter through a
// SimpleSpanProcessor, so what the tests read is exactly what an exporter would see.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/id_generator.hpp"
#include "lumen/core/clock.hpp"
#include "lumen/export/memory_exporter.hpp"
#include "lumen/trace/tracer_provider.hpp"

namespace lumen::trace {
namespace {

using namespace std::chrono_literals;

struct Harness {
  explicit Harness(
      SpanLimits limits = {},
      std::shared_ptr<const Sampler> sampler = Sampler::parent_based(Sampler::always_on()),
      const Clock* clock = &SystemClock::instance())
      : provider({.resource = Resource(Attributes{{"service.name", "span-test"}}),
                  .sampler = std::move(sampler),
                  .processor = std::make_unique<SimpleSpanProcessor>(memory),
                  .limits = limits,
                  .clock = clock}),
        tracer(provider.tracer("span-test", "1.2.3")) {}

  // The only exported span; fails the test if there is not exactly one.
  SpanData only() const {
    auto spans = memory->spans();
    EXPECT_EQ(spans.size(), 1u);
    return spans.empty() ? SpanData{} : spans.front();
  }

  std::shared_ptr<exporters::InMemorySpanExporter> memory =
      std::make_shared<exporters::InMemorySpanExporter>();
  TracerProvider provider;
  Tracer& tracer;
};

template <typename T>
const T& value_of(const Attributes& attributes, std::string_view key) {
  const AttributeValue* v = attributes.find(key);
  if (v == nullptr) throw std::runtime_error("missing attribute " + std::string(key));
  return std::get<T>(*v);
}

SpanContext remote_parent(bool sampled) {
  return SpanContext(IdGenerator::trace_id(), IdGenerator::span_id(),
                     sampled ? SpanContext::kSampledFlag : 0, /*remote=*/true);
}

// --- attributes ---------------------------------------------------------------------------------

TEST(Span, KeepsAttributesOfEveryValueType) {
  Harness h;
  {
    Span span = h.tracer.start("typed");
    span.set("s.literal", "gemini-2.0-flash")
        .set("s.string", std::string("pro"))
        .set("s.view", std::string_view("view"))
        .set("b", true)
        .set("i.int", 812)
        .set("i.negative", std::int64_t{-9'000'000'000})
        .set("i.unsigned", std::uint16_t{7})
        .set("d", 0.25)
        .set("d.float", 1.5f)
        .set("as", std::vector<std::string>{"a", "b"})
        .set("ab", std::vector<bool>{true, false, true})
        .set("ai", std::vector<std::int64_t>{1, -2, 3})
        .set("ad", std::vector<double>{0.5, -1.25});
  }
  const SpanData s = h.only();
  EXPECT_EQ(s.attributes.size(), 13u);
  EXPECT_EQ(value_of<std::string>(s.attributes, "s.literal"), "gemini-2.0-flash");
  EXPECT_EQ(value_of<std::string>(s.attributes, "s.string"), "pro");
  EXPECT_EQ(value_of<std::string>(s.attributes, "s.view"), "view");
  EXPECT_EQ(value_of<bool>(s.attributes, "b"), true);
  EXPECT_EQ(value_of<std::int64_t>(s.attributes, "i.int"), 812);
  EXPECT_EQ(value_of<std::int64_t>(s.attributes, "i.negative"), -9'000'000'000);
  EXPECT_EQ(value_of<std::int64_t>(s.attributes, "i.unsigned"), 7);
  EXPECT_EQ(value_of<double>(s.attributes, "d"), 0.25);
  EXPECT_EQ(value_of<double>(s.attributes, "d.float"), 1.5);
  EXPECT_EQ(value_of<std::vector<std::string>>(s.attributes, "as"),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(value_of<std::vector<bool>>(s.attributes, "ab"),
            (std::vector<bool>{true, false, true}));
  EXPECT_EQ(value_of<std::vector<std::int64_t>>(s.attributes, "ai"),
            (std::vector<std::int64_t>{1, -2, 3}));
  EXPECT_EQ(value_of<std::vector<double>>(s.attributes, "ad"), (std::vector<double>{0.5, -1.25}));
  EXPECT_EQ(s.dropped_attributes, 0u);
}

TEST(Span, SettingAnExistingKeyReplacesItsValueInPlace) {
  Harness h;
  {
    Span span = h.tracer.start("replace");
    span.set("user.tier", "free").set("ai.tokens", 1).set("user.tier", "pro");
    span.set("ai.tokens", "many");  // a different type replaces too
  }
  const SpanData s = h.only();
  ASSERT_EQ(s.attributes.size(), 2u);
  EXPECT_EQ(s.attributes[0].key, "user.tier");
  EXPECT_EQ(value_of<std::string>(s.attributes, "user.tier"), "pro");
  EXPECT_EQ(value_of<std::string>(s.attributes, "ai.tokens"), "many");
}

TEST(Span, ARecycledSpanCarriesNothingOfItsPreviousLife) {
  Harness h;
  for (int round = 0; round < 3; ++round) {
    Span old = h.tracer.start("old");
    old.set("a", "a string long enough to live on the heap").set("b", 2.5).set("c", true);
    old.add_event("e");
    old.set_status(StatusCode::kError, "broken");
  }
  h.memory->clear();
  {
    Span span = h.tracer.start("new");
    span.set("a", 7).set("x", false);  // slot 0 held a string, slot 1 a double
  }
  const SpanData s = h.only();
  EXPECT_EQ(s.name, "new");
  ASSERT_EQ(s.attributes.size(), 2u);
  EXPECT_EQ(value_of<std::int64_t>(s.attributes, "a"), 7);
  EXPECT_EQ(value_of<bool>(s.attributes, "x"), false);
  EXPECT_TRUE(s.events.empty());
  EXPECT_EQ(s.status, StatusCode::kUnset);
  EXPECT_TRUE(s.status_message.empty());
}

TEST(Span, AttributeCountLimitDropsNewKeysAndCountsThem) {
  Harness h(SpanLimits{.attribute_count = 3});
  {
    Span span = h.tracer.start("limited");
    int i = 0;
    for (const char* key : {"k0", "k1", "k2", "k3", "k4"}) span.set(key, i++);
    span.set("k9", "string too");
    span.set("k0", 100);  // replacing a kept key is not a new key: always allowed
  }
  const SpanData s = h.only();
  ASSERT_EQ(s.attributes.size(), 3u);
  EXPECT_EQ(value_of<std::int64_t>(s.attributes, "k0"), 100);
  EXPECT_EQ(value_of<std::int64_t>(s.attributes, "k1"), 1);
  EXPECT_EQ(value_of<std::int64_t>(s.attributes, "k2"), 2);
  EXPECT_FALSE(s.attributes.contains("k3"));
  EXPECT_FALSE(s.attributes.contains("k9"));
  EXPECT_EQ(s.dropped_attributes, 3u);
}

TEST(Span, StartOptionAttributesCountTowardsTheLimit) {
  Harness h(SpanLimits{.attribute_count = 2});
  {
    Span span = h.tracer.start("limited", {.attributes = Attributes{{"a", 1}, {"b", 2}, {"c", 3}}});
    span.set("d", 4);
  }
  const SpanData s = h.only();
  EXPECT_EQ(s.attributes.size(), 2u);
  EXPECT_TRUE(s.attributes.contains("a"));
  EXPECT_TRUE(s.attributes.contains("b"));
  EXPECT_EQ(s.dropped_attributes, 2u);
}

TEST(Span, ValueLengthLimitTruncatesStringsAndStringArraysOnly) {
  Harness h(SpanLimits{.attribute_value_length = 4});
  {
    Span span = h.tracer.start("truncated", {.attributes = Attributes{{"from.start", "abcdefgh"}}});
    span.set("literal", "abcdefgh")
        .set("string", std::string("123456789"))
        .set("short", "abc")
        .set("exact", "abcd")
        .set("array", std::vector<std::string>{"abcdef", "ab", "abcde"})
        .set("number", std::int64_t{123456789})
        .set("doubles", std::vector<double>{1.0, 2.0, 3.0, 4.0, 5.0, 6.0});
    span.add_event("evt", {{"long", "0123456789"}});
    span.add_link(remote_parent(true), {{"long", "zyxwvuts"}});
  }
  const SpanData s = h.only();
  EXPECT_EQ(value_of<std::string>(s.attributes, "from.start"), "abcd");
  EXPECT_EQ(value_of<std::string>(s.attributes, "literal"), "abcd");
  EXPECT_EQ(value_of<std::string>(s.attributes, "string"), "1234");
  EXPECT_EQ(value_of<std::string>(s.attributes, "short"), "abc");
  EXPECT_EQ(value_of<std::string>(s.attributes, "exact"), "abcd");
  EXPECT_EQ(value_of<std::vector<std::string>>(s.attributes, "array"),
            (std::vector<std::string>{"abcd", "ab", "abcd"}));
  EXPECT_EQ(value_of<std::int64_t>(s.attributes, "number"), 123456789);
  EXPECT_EQ(value_of<std::vector<double>>(s.attributes, "doubles").size(), 6u);
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_EQ(value_of<std::string>(s.events[0].attributes, "long"), "0123");
  ASSERT_EQ(s.links.size(), 1u);
  EXPECT_EQ(value_of<std::string>(s.links[0].attributes, "long"), "zyxw");
  EXPECT_EQ(s.dropped_attributes, 0u);  // truncation is not a drop
}

// --- events and links ---------------------------------------------------------------------------

TEST(Span, EventCountLimitDropsLaterEventsAndCountsThem) {
  Harness h(SpanLimits{.event_count = 2});
  {
    Span span = h.tracer.start("events");
    span.add_event("first").add_event("second").add_event("third").add_event("fourth");
  }
  const SpanData s = h.only();
  ASSERT_EQ(s.events.size(), 2u);
  EXPECT_EQ(s.events[0].name, "first");
  EXPECT_EQ(s.events[1].name, "second");
  EXPECT_EQ(s.dropped_events, 2u);
}

TEST(Span, PerEventAttributeLimitDropsAndCountsPerEvent) {
  Harness h(SpanLimits{.attributes_per_event = 1});
  {
    Span span = h.tracer.start("events");
    span.add_event("retry", {{"attempt", 2}, {"reason", "timeout"}, {"backoff_ms", 250}});
    span.add_event("small", {{"only", true}});
  }
  const SpanData s = h.only();
  ASSERT_EQ(s.events.size(), 2u);
  EXPECT_EQ(s.events[0].attributes.size(), 1u);
  EXPECT_EQ(value_of<std::int64_t>(s.events[0].attributes, "attempt"), 2);
  EXPECT_EQ(s.events[0].dropped_attributes, 2u);
  EXPECT_EQ(s.events[1].attributes.size(), 1u);
  EXPECT_EQ(s.events[1].dropped_attributes, 0u);
  EXPECT_EQ(s.dropped_attributes, 0u);  // the span's own count is separate
}

TEST(Span, EventsKeepTheirExplicitOrClockTime) {
  ManualClock clock;
  Harness h({}, Sampler::always_on(), &clock);
  const std::uint64_t t0 = clock.wall_ns();
  {
    Span span = h.tracer.start("timed");
    clock.advance(3ms);
    span.add_event("now");
    span.add_event("explicit", {}, t0 + 42);
  }
  const SpanData s = h.only();
  ASSERT_EQ(s.events.size(), 2u);
  EXPECT_EQ(s.events[0].time_ns, t0 + 3'000'000);
  EXPECT_EQ(s.events[1].time_ns, t0 + 42);
}

TEST(Span, LinkCountAndPerLinkAttributeLimitsDropAndCount) {
  Harness h(SpanLimits{.link_count = 2, .attributes_per_link = 1});
  const SpanContext a = remote_parent(true);
  const SpanContext b = remote_parent(false);
  const SpanContext c = remote_parent(true);
  {
    Span span = h.tracer.start("links");
    span.add_link(a, {{"x", 1}, {"y", 2}, {"z", 3}});
    span.add_link(b);
    span.add_link(c);
  }
  const SpanData s = h.only();
  ASSERT_EQ(s.links.size(), 2u);
  EXPECT_EQ(s.links[0].context.span_id(), a.span_id());
  EXPECT_EQ(s.links[0].context.trace_id(), a.trace_id());
  EXPECT_EQ(s.links[0].attributes.size(), 1u);
  EXPECT_EQ(s.links[0].dropped_attributes, 2u);
  EXPECT_EQ(s.links[1].context.span_id(), b.span_id());
  EXPECT_FALSE(s.links[1].context.is_sampled());
  EXPECT_EQ(s.dropped_links, 1u);
}

TEST(Span, InvalidLinkContextIsIgnored) {
  Harness h;
  {
    Span span = h.tracer.start("links");
    span.add_link(SpanContext());
  }
  const SpanData s = h.only();
  EXPECT_TRUE(s.links.empty());
  EXPECT_EQ(s.dropped_links, 0u);
}

// --- status -------------------------------------------------------------------------------------

TEST(Span, ErrorStatusCarriesItsDescription) {
  Harness h;
  h.tracer.start("err").set_status(StatusCode::kError, "upstream returned 503");
  const SpanData s = h.only();
  EXPECT_EQ(s.status, StatusCode::kError);
  EXPECT_EQ(s.status_message, "upstream returned 503");
}

TEST(Span, OkStatusIsFinalAndHasNoDescription) {
  Harness h;
  {
    Span span = h.tracer.start("ok");
    span.set_status(StatusCode::kError, "first failure");
    span.set_status(StatusCode::kOk, "descriptions are for errors");
    span.set_status(StatusCode::kError, "too late");
    span.set_status(StatusCode::kUnset);
  }
  const SpanData s = h.only();
  EXPECT_EQ(s.status, StatusCode::kOk);
  EXPECT_EQ(s.status_message, "");
}

TEST(Span, UnsetNeverOverridesAndErrorCanBeRestated) {
  Harness h;
  {
    Span span = h.tracer.start("err");
    span.set_status(StatusCode::kError, "first");
    span.set_status(StatusCode::kUnset, "ignored");
    EXPECT_TRUE(span.is_recording());
  }
  EXPECT_EQ(h.only().status, StatusCode::kError);
  EXPECT_EQ(h.only().status_message, "first");

  h.memory->clear();
  {
    Span span = h.tracer.start("err2");
    span.set_status(StatusCode::kError, "first");
    span.set_status(StatusCode::kError, "second");
  }
  EXPECT_EQ(h.only().status_message, "second");

  h.memory->clear();
  h.tracer.start("plain").end();
  EXPECT_EQ(h.only().status, StatusCode::kUnset);
}

// --- exceptions ---------------------------------------------------------------------------------

TEST(Span, RecordExceptionAddsAnExceptionEventAndLeavesTheStatus) {
  Harness h;
  {
    Span span = h.tracer.start("ex");
    span.record_exception(std::out_of_range("index 7 past the end"));
  }
  const SpanData s = h.only();
  EXPECT_EQ(s.status, StatusCode::kUnset);
  ASSERT_EQ(s.events.size(), 1u);
  const Event& e = s.events[0];
  EXPECT_EQ(e.name, "exception");
  EXPECT_NE(e.time_ns, 0u);
  EXPECT_EQ(value_of<std::string>(e.attributes, "exception.type"), "std::out_of_range");
  EXPECT_EQ(value_of<std::string>(e.attributes, "exception.message"), "index 7 past the end");
  EXPECT_FALSE(value_of<std::string>(e.attributes, "exception.stacktrace").empty());
}

struct CustomError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

TEST(Span, RecordExceptionFromAnExceptionPtr) {
  Harness h;
  {
    Span span = h.tracer.start("ex");
    span.record_exception(std::make_exception_ptr(CustomError("custom failure")));
    span.record_exception(std::make_exception_ptr(42));  // not a std::exception
    span.record_exception(std::exception_ptr());         // nothing to record
  }
  const SpanData s = h.only();
  ASSERT_EQ(s.events.size(), 2u);
  EXPECT_EQ(value_of<std::string>(s.events[0].attributes, "exception.type"),
            "lumen::trace::(anonymous namespace)::CustomError");
  EXPECT_EQ(value_of<std::string>(s.events[0].attributes, "exception.message"), "custom failure");
  EXPECT_EQ(s.events[1].name, "exception");
  EXPECT_TRUE(s.events[1].attributes.contains("exception.type"));
  EXPECT_TRUE(s.events[1].attributes.contains("exception.message"));
}

// --- ending, moving, renaming -------------------------------------------------------------------

TEST(Span, EndIsIdempotentAndExportsOnce) {
  ManualClock clock;
  Harness h({}, Sampler::always_on(), &clock);
  Span span = h.tracer.start("once");
  clock.advance(5ms);
  span.end();
  EXPECT_FALSE(span.is_recording());
  clock.advance(5ms);
  span.end();
  span.end(clock.wall_ns() + 1);
  span.set("after.end", 1).add_event("after.end").set_status(StatusCode::kError, "late");
  span.update_name("renamed.late");
  EXPECT_EQ(h.memory->size(), 1u);
  {
    Span moved = std::move(span);  // destroying an ended span must not export again
  }
  const SpanData s = h.only();
  EXPECT_EQ(s.name, "once");
  EXPECT_EQ(s.end_ns - s.start_ns, 5'000'000u);
  EXPECT_TRUE(s.attributes.empty());
  EXPECT_TRUE(s.events.empty());
  EXPECT_EQ(s.status, StatusCode::kUnset);
}

TEST(Span, DestructorEndsTheSpan) {
  Harness h;
  { Span span = h.tracer.start("scoped"); }
  EXPECT_EQ(h.only().name, "scoped");
}

TEST(Span, EndAtAnExplicitTime) {
  Harness h;
  const std::uint64_t start = 1'700'000'000'000'000'000ULL;
  Span span = h.tracer.start("explicit", {.start_ns = start});
  span.end(start + 1234);
  const SpanData s = h.only();
  EXPECT_EQ(s.start_ns, start);
  EXPECT_EQ(s.end_ns, start + 1234);
  EXPECT_EQ(s.duration_ns(), 1234u);
}

TEST(Span, MovedFromSpanDoesNotExportTwice) {
  Harness h;
  SpanContext original;
  {
    Span a = h.tracer.start("moved");
    original = a.context();
    Span b = std::move(a);
    EXPECT_FALSE(a.is_recording());  // NOLINT(bugprone-use-after-move): the point of the test
    EXPECT_TRUE(b.is_recording());
    a.end();
    a.set("ignored", true);
    EXPECT_EQ(h.memory->size(), 0u);
    b.set("kept", true);
  }
  const SpanData s = h.only();
  EXPECT_EQ(s.context.span_id(), original.span_id());
  EXPECT_TRUE(s.attributes.contains("kept"));
  EXPECT_FALSE(s.attributes.contains("ignored"));
}

TEST(Span, MoveAssignmentEndsTheOverwrittenSpanFirst) {
  Harness h;
  {
    Span target = h.tracer.start("overwritten");
    Span source = h.tracer.start("source");
    target = std::move(source);
    ASSERT_EQ(h.memory->size(), 1u);
    EXPECT_EQ(h.memory->spans()[0].name, "overwritten");
    target.set("on.source", 1);
  }
  const auto spans = h.memory->spans();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[1].name, "source");
  EXPECT_TRUE(spans[1].attributes.contains("on.source"));
}

TEST(Span, UpdateNameRenamesTheExportedSpan) {
  Harness h;
  {
    Span span = h.tracer.start("GET");
    span.update_name("GET /documents/:id");
  }
  EXPECT_EQ(h.only().name, "GET /documents/:id");
}

TEST(Span, ExportedSpanCarriesItsContextScopeAndResource) {
  Harness h;
  SpanContext ctx;
  {
    Span span = h.tracer.start("scoped");
    ctx = span.context();
  }
  const SpanData s = h.only();
  EXPECT_EQ(s.context.trace_id(), ctx.trace_id());
  EXPECT_EQ(s.context.span_id(), ctx.span_id());
  EXPECT_TRUE(s.context.is_sampled());
  EXPECT_TRUE(ctx.is_valid());
  ASSERT_NE(s.scope, nullptr);
  EXPECT_EQ(s.scope->name, "span-test");
  EXPECT_EQ(s.scope->version, "1.2.3");
  ASSERT_NE(s.scope->resource, nullptr);
  EXPECT_EQ(s.scope->resource->service_name(), "span-test");
  EXPECT_EQ(s.kind, SpanKind::kInternal);
}

// --- sampling and shutdown ----------------------------------------------------------------------

TEST(Span, UnsampledSpanHasAValidContextWithTheParentsTraceIdAndAFreshSpanId) {
  Harness h;  // parent-based: an unsampled parent makes an unsampled child
  const SpanContext parent = remote_parent(false);
  Span span = h.tracer.start("unsampled", {.parent = Context().with_span(parent)});
  EXPECT_FALSE(span.is_recording());
  EXPECT_TRUE(span.context().is_valid());
  EXPECT_FALSE(span.context().is_sampled());
  EXPECT_FALSE(span.context().is_remote());
  EXPECT_EQ(span.context().trace_id(), parent.trace_id());
  EXPECT_NE(span.context().span_id(), parent.span_id());

  // Its setters do nothing, and ending it exports nothing.
  const SpanContext before = span.context();
  span.set("k", 1)
      .set("s", "v")
      .add_event("e", {{"a", 1}})
      .add_link(remote_parent(true))
      .set_status(StatusCode::kError, "x")
      .record_exception(std::runtime_error("x"))
      .update_name("renamed");
  span.end();
  span.end();
  EXPECT_EQ(span.context().span_id(), before.span_id());
  EXPECT_EQ(h.memory->size(), 0u);
}

TEST(Span, ChildrenOfAnUnsampledSpanShareItsTraceAndAreUnsampled) {
  Harness h;
  Span parent = h.tracer.start("root", {.parent = Context().with_span(remote_parent(false))});
  auto scope = parent.activate();
  Span child = h.tracer.start("child");
  EXPECT_FALSE(child.is_recording());
  EXPECT_EQ(child.context().trace_id(), parent.context().trace_id());
  EXPECT_NE(child.context().span_id(), parent.context().span_id());
  child.end();
  parent.end();
  EXPECT_EQ(h.memory->size(), 0u);
}

TEST(Span, AlwaysOffRootSpanStillGetsFreshValidIds) {
  Harness h({}, Sampler::always_off());
  Span a = h.tracer.start("a");
  Span b = h.tracer.start("b");
  EXPECT_FALSE(a.is_recording());
  EXPECT_TRUE(a.context().is_valid());
  EXPECT_NE(a.context().trace_id(), b.context().trace_id());
  EXPECT_NE(a.context().span_id(), b.context().span_id());
}

TEST(Span, SpansStartedAfterProviderShutdownAreNonRecording) {
  Harness h;
  Span before = h.tracer.start("before");
  ASSERT_TRUE(h.provider.shutdown(5s));
  Span after = h.tracer.start("after");
  EXPECT_FALSE(after.is_recording());
  EXPECT_TRUE(after.context().is_valid());
  after.set("k", 1);
  after.end();
  before.end();  // started before shutdown: the stopped processor discards it
  EXPECT_EQ(h.memory->size(), 0u);
  EXPECT_TRUE(h.provider.shutdown(5s));  // a second shutdown is harmless
}

// --- start options ------------------------------------------------------------------------------

TEST(Span, ExplicitParentContextWinsOverTheCurrentSpan) {
  Harness h;
  const SpanContext remote = remote_parent(true);
  Span current = h.tracer.start("current");
  auto scope = current.activate();
  {
    Span child = h.tracer.start("child", {.parent = Context().with_span(remote)});
    EXPECT_EQ(child.context().trace_id(), remote.trace_id());
  }
  const SpanData s = h.only();
  EXPECT_EQ(s.context.trace_id(), remote.trace_id());
  EXPECT_EQ(s.parent_span_id, remote.span_id());
  EXPECT_TRUE(s.parent_is_remote);
}

TEST(Span, CurrentSpanIsTheDefaultParent) {
  Harness h;
  Span current = h.tracer.start("current");
  {
    auto scope = current.activate();
    h.tracer.start("child").end();
  }
  const SpanData s = h.only();
  EXPECT_EQ(s.context.trace_id(), current.context().trace_id());
  EXPECT_EQ(s.parent_span_id, current.context().span_id());
  EXPECT_FALSE(s.parent_is_remote);
}

TEST(Span, EmptyContextStartsANewRootEvenInsideASpan) {
  Harness h;
  Span current = h.tracer.start("current");
  auto scope = current.activate();
  h.tracer.start("root", {.parent = Context()}).end();
  const SpanData s = h.only();
  EXPECT_NE(s.context.trace_id(), current.context().trace_id());
  EXPECT_FALSE(s.parent_span_id.is_valid());
  EXPECT_FALSE(s.parent_is_remote);
}

TEST(Span, StartOptionsSetKindLinksAndStartTime) {
  Harness h;
  const SpanContext linked = remote_parent(true);
  const std::uint64_t start = 1'650'000'000'123'456'789ULL;
  {
    Link link;
    link.context = linked;
    link.attributes = Attributes{{"link.reason", "batch"}};
    Span span = h.tracer.start("server", {.kind = SpanKind::kServer,
                                          .links = {link, Link{}},  // the invalid one is ignored
                                          .start_ns = start});
  }
  const SpanData s = h.only();
  EXPECT_EQ(s.kind, SpanKind::kServer);
  EXPECT_EQ(s.start_ns, start);
  EXPECT_GT(s.end_ns, start);
  ASSERT_EQ(s.links.size(), 1u);
  EXPECT_EQ(s.links[0].context.trace_id(), linked.trace_id());
  EXPECT_EQ(s.links[0].context.span_id(), linked.span_id());
  EXPECT_EQ(value_of<std::string>(s.links[0].attributes, "link.reason"), "batch");
}

TEST(Span, EveryKindIsExportedAsGiven) {
  Harness h;
  for (SpanKind kind : {SpanKind::kInternal, SpanKind::kServer, SpanKind::kClient,
                        SpanKind::kProducer, SpanKind::kConsumer}) {
    h.tracer.start(to_string(kind), {.kind = kind}).end();
  }
  const auto spans = h.memory->spans();
  ASSERT_EQ(spans.size(), 5u);
  for (const auto& s : spans) EXPECT_STREQ(to_string(s.kind), s.name.c_str());
}

TEST(Span, ManualClockGivesExactStartAndEndTimes) {
  ManualClock clock(1'700'000'000'000'000'000ULL);
  Harness h({}, Sampler::always_on(), &clock);
  Span span = h.tracer.start("timed");
  clock.advance(1500us);
  span.end();
  const SpanData s = h.only();
  EXPECT_EQ(s.start_ns, 1'700'000'000'000'000'000ULL);
  EXPECT_EQ(s.end_ns, 1'700'000'000'001'500'000ULL);
  EXPECT_EQ(s.duration_ns(), 1'500'000u);
}

}  // namespace
}  // namespace lumen::trace
