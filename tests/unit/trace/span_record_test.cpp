// Spans that start as compact records (the Runtime's embedded store alone) give the store what a
// SpanData would have held, whatever the span did: the records' own content, and every case that
// moves a span to a SpanData on the way (src/trace/span_record.hpp).
#include "trace/span_record.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "lumen/export/memory_exporter.hpp"
#include "lumen/trace/tracer_provider.hpp"
#include "runtime/span_store_processor.hpp"

namespace lumen::trace {
namespace {

// A remote parent with a tracestate, the same in both pipelines, so that trace ids match.
Context remote_parent() {
  return Context().with_span(SpanContext(*TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736"),
                                         *SpanId::from_hex("00f067aa0ba902b7"), 0x01, true,
                                         std::make_shared<const std::string>("vendor=abc")));
}

using Scenario = std::function<void(Span&)>;

// Runs `scenario` on a span ended into `processor`'s pipeline, and returns what `store` kept.
SpanData run(const Scenario& scenario, std::unique_ptr<SpanProcessor> processor,
             const exporters::InMemorySpanExporter& store, SpanLimits limits = {}) {
  TracerProvider provider({.processor = std::move(processor), .limits = limits});
  Span span = provider.tracer("records", "1.0")
                  .start("POST /v1/analyze",
                         {.kind = SpanKind::kServer, .parent = remote_parent(), .start_ns = 1'000});
  scenario(span);
  span.end(2'000);
  const std::vector<SpanData> kept = store.spans();
  EXPECT_EQ(kept.size(), 1u);
  return kept.empty() ? SpanData() : kept[0];
}

// The scenario's span, kept from a record (the store alone) and from a SpanData (a simple
// processor in front of the same kind of store), must read back the same.
void expect_same_either_way(const Scenario& scenario, SpanLimits limits = {}) {
  auto record_store = std::make_shared<exporters::InMemorySpanExporter>(4);
  auto data_store = std::make_shared<exporters::InMemorySpanExporter>(4);
  const SpanData from_record =
      run(scenario, std::make_unique<lumen::detail::SpanStoreProcessor>(record_store),
          *record_store, limits);
  const SpanData from_data =
      run(scenario, std::make_unique<SimpleSpanProcessor>(data_store), *data_store, limits);
  EXPECT_EQ(from_record.name, from_data.name);
  EXPECT_EQ(from_record.context.trace_id(), from_data.context.trace_id());
  EXPECT_TRUE(from_record.context.span_id().is_valid());
  EXPECT_EQ(from_record.context.flags(), from_data.context.flags());
  EXPECT_EQ(from_record.context.trace_state(), from_data.context.trace_state());
  EXPECT_EQ(from_record.parent_span_id, from_data.parent_span_id);
  EXPECT_EQ(from_record.parent_is_remote, from_data.parent_is_remote);
  EXPECT_EQ(from_record.kind, from_data.kind);
  EXPECT_EQ(from_record.start_ns, from_data.start_ns);
  EXPECT_EQ(from_record.end_ns, from_data.end_ns);
  EXPECT_EQ(from_record.attributes, from_data.attributes);
  EXPECT_EQ(from_record.dropped_attributes, from_data.dropped_attributes);
  ASSERT_EQ(from_record.events.size(), from_data.events.size());
  for (std::size_t i = 0; i < from_data.events.size(); ++i) {
    EXPECT_EQ(from_record.events[i].name, from_data.events[i].name);
    // The stack of a recorded exception differs: the two runs are called from two places.
    const Attributes& kept = from_record.events[i].attributes;
    const Attributes& sent = from_data.events[i].attributes;
    ASSERT_EQ(kept.size(), sent.size());
    for (std::size_t k = 0; k < sent.size(); ++k) {
      EXPECT_EQ(kept[k].key, sent[k].key);
      if (sent[k].key != "exception.stacktrace") {
        EXPECT_EQ(kept[k].value, sent[k].value);
      }
    }
  }
  ASSERT_EQ(from_record.links.size(), from_data.links.size());
  EXPECT_EQ(from_record.status, from_data.status);
  EXPECT_EQ(from_record.status_message, from_data.status_message);
  ASSERT_NE(from_record.scope, nullptr);
  EXPECT_EQ(from_record.scope->name, "records");
  EXPECT_EQ(from_record.scope->version, "1.0");
}

TEST(SpanRecord, KeepsTheGatewaysSpanAsASpanDataWouldHaveHeldIt) {
  expect_same_either_way([](Span& span) {
    span.set("http.request.method", "POST").set("http.route", "/v1/analyze");
    span.set("user.tier", "pro").set("ai.images", 0).set("gateway.cached", true);
    span.set("ai.model", "gemini-2.0-flash").set("http.response.status_code", 200);
    span.set("ratio", 0.25).set("empty", "");
    span.set_status(StatusCode::kOk);
  });
}

// A key set again keeps its place, whether its value grows, shrinks or changes kind.
TEST(SpanRecord, AKeySetAgainKeepsItsPlaceWhateverItsNewSize) {
  expect_same_either_way([](Span& span) {
    span.set("a", "short").set("b", 1).set("c", "third");
    span.set("a", "a value much longer than the one before it").set("b", "now a string");
    span.set("c", true).set("a", "s").set("b", 2.5);
  });
}

// A record tells a new key from one it holds by a bit per key, from the key's size and last byte:
// keys that share both share the bit, and must still be told apart by their bytes.
TEST(SpanRecord, KeysThatShareTheirLookupBitAreStillToldApart) {
  expect_same_either_way([](Span& span) {
    span.set("a.x", 1).set("b.x", 2).set("c.x", "three");
    span.set("b.x", "two, set again").set("a.x", 10).set("d.x", false);
  });
}

TEST(SpanRecord, CountsAndTruncatesUnderTheSpanLimits) {
  expect_same_either_way(
      [](Span& span) {
        span.set("first", "0123456789abcdef").set("second", 2).set("third", true);
        span.set("fourth", "dropped").set("second", "replaced, never dropped").set("fifth", 5);
      },
      SpanLimits{.attribute_count = 3, .attribute_value_length = 8});
}

// A record holds its span's limits, copied as the span starts: a record that comes back to the
// thread from a provider with tight limits must not carry them to a span of another provider.
TEST(SpanRecord, ARecordTakesTheLimitsOfTheProviderWhoseSpanItHolds) {
  auto tight_store = std::make_shared<exporters::InMemorySpanExporter>(1);
  auto loose_store = std::make_shared<exporters::InMemorySpanExporter>(1);
  TracerProvider tight(
      {.processor = std::make_unique<lumen::detail::SpanStoreProcessor>(tight_store),
       .limits = {.attribute_count = 1, .attribute_value_length = 2}});
  TracerProvider loose(
      {.processor = std::make_unique<lumen::detail::SpanStoreProcessor>(loose_store)});
  for (int round = 0; round < 3; ++round) {
    for (TracerProvider* provider : {&tight, &loose}) {
      Span span = provider->tracer("limits").start("span");
      span.set("a", "value").set("b", 2);
      span.end();
    }
    const std::vector<SpanData> kept_tight = tight_store->spans();
    const std::vector<SpanData> kept_loose = loose_store->spans();
    ASSERT_EQ(kept_tight.size(), 1u);
    ASSERT_EQ(kept_loose.size(), 1u);
    EXPECT_EQ(kept_tight[0].attributes, (Attributes{{"a", "va"}}));
    EXPECT_EQ(kept_tight[0].dropped_attributes, 1u);
    EXPECT_EQ(kept_loose[0].attributes, (Attributes{{"a", "value"}, {"b", 2}}));
    EXPECT_EQ(kept_loose[0].dropped_attributes, 0u);
  }
}

TEST(SpanRecord, AnErrorStatusWithoutADescriptionStaysInTheRecordAndOkIsFinal) {
  expect_same_either_way([](Span& span) {
    span.set_status(StatusCode::kError).set_status(StatusCode::kOk);
    span.set_status(StatusCode::kError, "too late: OK is final");
  });
}

// Each of these moves the span to a SpanData, with what it had so far.
TEST(SpanRecord, WhatARecordDoesNotHoldMovesTheSpanToASpanData) {
  const std::vector<Scenario> scenarios = {
      [](Span& span) {
        span.set("kept", 1).add_event("retry", {{"attempt", 2}});
      },
      [](Span& span) {
        span.set("kept", 1).add_link(
            SpanContext(*TraceId::from_hex("11111111111111111111111111111111"),
                        *SpanId::from_hex("2222222222222222"), 1));
      },
      [](Span& span) {
        span.set("kept", 1).set("tiers", std::vector<std::string>{"free", "pro"});
      },
      [](Span& span) { span.set("kept", 1).set_status(StatusCode::kError, "upstream timed out"); },
      [](Span& span) { span.set("kept", 1).update_name("renamed"); },
      [](Span& span) { span.set("kept", 1).record_exception(std::runtime_error("boom")); },
      // Past the arena's bytes, and past its 32 attributes.
      [](Span& span) { span.set("kept", 1).set("big", std::string(1000, 'x')).set("after", 2); },
      [](Span& span) {
        for (int i = 0; i < 40; ++i) span.set("key " + std::to_string(i), i);
      },
      [](Span& span) { span.set(std::string(300, 'k'), 1).set("after", 2); },
  };
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    SCOPED_TRACE("scenario " + std::to_string(i));
    expect_same_either_way(scenarios[i]);
  }
}

// Records and SpanData share the store's ring: it evicts the oldest whatever each one is.
TEST(SpanRecord, RecordsAndPromotedSpansShareTheStoresRing) {
  auto store = std::make_shared<exporters::InMemorySpanExporter>(3);
  TracerProvider provider(
      {.processor = std::make_unique<lumen::detail::SpanStoreProcessor>(store)});
  Tracer& tracer = provider.tracer("records");
  for (int i = 0; i < 7; ++i) {
    Span span = tracer.start("span " + std::to_string(i));
    if (i % 2 == 1) span.add_event("promoted");
  }
  std::vector<std::string> names;
  for (const SpanData& span : store->spans()) names.push_back(span.name);
  EXPECT_EQ(names, (std::vector<std::string>{"span 4", "span 5", "span 6"}));
  EXPECT_EQ(store->spans()[1].events.size(), 1u);
  EXPECT_EQ(store->evicted(), 4u);
}

// A span started on one thread and ended on another: its record goes back to the ending thread.
TEST(SpanRecord, ASpanEndsOnAnotherThreadThanTheOneThatStartedIt) {
  auto store = std::make_shared<exporters::InMemorySpanExporter>(100);
  TracerProvider provider(
      {.processor = std::make_unique<lumen::detail::SpanStoreProcessor>(store)});
  Tracer& tracer = provider.tracer("records");
  std::vector<Span> started;
  for (int i = 0; i < 50; ++i) {
    started.push_back(tracer.start("hop"));
    started.back().set("i", i);
  }
  std::thread([&started] {
    for (Span& span : started) span.end();
  }).join();
  EXPECT_EQ(store->size(), 50u);
}

// A span that outlives its provider is dropped and counted, with its record.
TEST(SpanRecord, ASpanThatEndsAfterItsProviderIsCountedAndDropped) {
  auto store = std::make_shared<exporters::InMemorySpanExporter>(4);
  const std::uint64_t before = spans_ended_after_shutdown();
  Span late;
  {
    TracerProvider provider(
        {.processor = std::make_unique<lumen::detail::SpanStoreProcessor>(store)});
    late = provider.tracer("records").start("late");
    late.set("tier", "pro");
  }
  late.end();
  EXPECT_EQ(spans_ended_after_shutdown(), before + 1);
  EXPECT_EQ(store->size(), 0u);
}

}  // namespace
}  // namespace lumen::trace
