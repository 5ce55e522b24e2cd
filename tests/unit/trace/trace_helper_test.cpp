#include <gtest/gtest.h>

#include <future>
#include <stdexcept>
#include <thread>

#include "lumen/export/memory_exporter.hpp"
#include "lumen/trace/tracer_provider.hpp"

namespace lumen::trace {
namespace {

struct RecordingTracer {
  std::shared_ptr<exporters::InMemorySpanExporter> memory =
      std::make_shared<exporters::InMemorySpanExporter>();
  TracerProvider provider{{.processor = std::make_unique<SimpleSpanProcessor>(memory)}};
  Tracer& tracer = provider.tracer("test");

  const SpanData& find(const std::vector<SpanData>& spans, std::string_view name) {
    for (const auto& s : spans) {
      if (s.name == name) return s;
    }
    throw std::runtime_error("no span named " + std::string(name));
  }
};

TEST(TraceHelper, ChildInsideParentHasParentsTraceIdAndSpanIdAsParent) {
  RecordingTracer f;
  SpanContext parent_ctx;
  f.tracer.trace("parent", [&](Span& parent) {
    parent_ctx = parent.context();
    f.tracer.trace("child", [](Span&) {});
  });
  const auto spans = f.memory->spans();
  ASSERT_EQ(spans.size(), 2u);
  const SpanData& child = f.find(spans, "child");
  const SpanData& parent = f.find(spans, "parent");
  EXPECT_EQ(child.context.trace_id(), parent_ctx.trace_id());
  EXPECT_EQ(child.parent_span_id, parent_ctx.span_id());
  EXPECT_FALSE(parent.parent_span_id.is_valid());
  EXPECT_EQ(parent.status, StatusCode::kOk);
  EXPECT_EQ(child.status, StatusCode::kOk);
}

TEST(TraceHelper, ContextCarriedAcrossThreadHopKeepsTheParent) {
  RecordingTracer f;
  SpanContext parent_ctx;
  f.tracer.trace("parent", [&](Span& parent) {
    parent_ctx = parent.context();
    auto task = Context::current().wrap([&] { f.tracer.trace("on-worker", [] {}); });
    std::thread worker(std::move(task));
    worker.join();
  });
  const auto spans = f.memory->spans();
  const SpanData& child = f.find(spans, "on-worker");
  EXPECT_EQ(child.context.trace_id(), parent_ctx.trace_id());
  EXPECT_EQ(child.parent_span_id, parent_ctx.span_id());
}

TEST(TraceHelper, WithoutCarryingContextAThreadStartsANewTrace) {
  RecordingTracer f;
  SpanContext parent_ctx;
  f.tracer.trace("parent", [&](Span& parent) {
    parent_ctx = parent.context();
    std::thread worker([&] { f.tracer.trace("orphan", [] {}); });
    worker.join();
  });
  const auto spans = f.memory->spans();
  const SpanData& orphan = f.find(spans, "orphan");
  EXPECT_NE(orphan.context.trace_id(), parent_ctx.trace_id());
  EXPECT_FALSE(orphan.parent_span_id.is_valid());
}

TEST(TraceHelper, ExceptionMarksErrorRecordsAndRethrows) {
  RecordingTracer f;
  EXPECT_THROW(f.tracer.trace("fails", [] { throw std::invalid_argument("bad document"); }),
               std::invalid_argument);
  const auto spans = f.memory->spans();
  const SpanData& span = f.find(spans, "fails");
  EXPECT_EQ(span.status, StatusCode::kError);
  EXPECT_EQ(span.status_message, "bad document");
  ASSERT_EQ(span.events.size(), 1u);
  EXPECT_EQ(span.events[0].name, "exception");
  EXPECT_EQ(std::get<std::string>(*span.events[0].attributes.find("exception.type")),
            "std::invalid_argument");
  EXPECT_EQ(std::get<std::string>(*span.events[0].attributes.find("exception.message")),
            "bad document");
  EXPECT_FALSE(
      std::get<std::string>(*span.events[0].attributes.find("exception.stacktrace")).empty());
}

TEST(TraceHelper, ReturnsTheFunctionsValueAndRestoresTheContext) {
  RecordingTracer f;
  const int v = f.tracer.trace("value", [](Span& s) {
    s.set("k", 1);
    return 42;
  });
  EXPECT_EQ(v, 42);
  EXPECT_FALSE(Context::current().span().is_valid());
}

}  // namespace
}  // namespace lumen::trace
