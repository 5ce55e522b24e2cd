#include "lumen/export/console_exporter.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "lumen/trace/span_processor.hpp"
#include "lumen/trace/tracer_provider.hpp"

namespace lumen::exporters {
namespace {

std::unique_ptr<trace::SpanData> make_span() {
  auto s = std::make_unique<trace::SpanData>();
  s->context = SpanContext(*TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736"),
                           *SpanId::from_hex("00f067aa0ba902b7"), SpanContext::kSampledFlag);
  s->parent_span_id = *SpanId::from_hex("b7ad6b7169203331");
  s->name = "ai.provider.analyze";
  s->kind = trace::SpanKind::kClient;
  s->start_ns = 1'700'000'000'123'456'789ULL;  // 2023-11-14T22:13:20.123456Z
  s->end_ns = s->start_ns + 12'345'678;        // 12.345 ms
  s->attributes.set("ai.model", std::string("gemini-2.0-flash"));
  s->attributes.set("ai.tokens", std::int64_t{812});
  s->attributes.set("cache.hit", false);
  s->status = trace::StatusCode::kError;
  s->status_message = "provider timed out";
  s->events.push_back(trace::Event{"retry", s->start_ns + 1000, {}, 0});
  return s;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(ConsoleSpanExporter, PrintsOneLineWithEveryFieldOfTheSpan) {
  std::ostringstream out;
  ConsoleSpanExporter exporter(out);
  std::vector<std::unique_ptr<trace::SpanData>> batch;
  batch.push_back(make_span());
  EXPECT_EQ(exporter.export_spans(batch, Deadline::max()), trace::ExportResult::kSuccess);
  EXPECT_EQ(
      out.str(),
      "2023-11-14T22:13:20.123456Z trace=4bf92f3577b34da6a3ce929d0e0e4736 "
      "span=00f067aa0ba902b7 parent=b7ad6b7169203331 name=ai.provider.analyze kind=client "
      "duration_ms=12.345 status=ERROR(\"provider timed out\") "
      "attributes={ai.model=\"gemini-2.0-flash\", ai.tokens=812, cache.hit=false} events=1\n");
}

TEST(ConsoleSpanExporter, ShowsRootParentAsDashAndUnsetStatus) {
  auto span = make_span();
  span->parent_span_id = SpanId();
  span->status = trace::StatusCode::kUnset;
  span->status_message.clear();
  span->attributes.clear();
  span->events.clear();
  span->kind = trace::SpanKind::kInternal;
  const std::string line = ConsoleSpanExporter::format(*span);
  EXPECT_NE(line.find(" parent=- "), std::string::npos) << line;
  EXPECT_NE(line.find(" kind=internal "), std::string::npos) << line;
  EXPECT_NE(line.find(" status=UNSET attributes={} events=0"), std::string::npos) << line;
}

TEST(ConsoleSpanExporter, EscapesControlCharactersSoEachSpanStaysOnOneLine) {
  std::ostringstream out;
  ConsoleSpanExporter exporter(out);
  std::vector<std::unique_ptr<trace::SpanData>> batch;
  batch.push_back(make_span());
  batch[0]->name = "two\nlines";
  batch[0]->status_message = "bad\r\nthing\x01";
  batch[0]->attributes.set("note", std::string("a\tb"));
  batch.push_back(make_span());
  ASSERT_EQ(exporter.export_spans(batch, Deadline::max()), trace::ExportResult::kSuccess);

  const auto lines = lines_of(out.str());
  ASSERT_EQ(lines.size(), 2u) << out.str();
  EXPECT_NE(lines[0].find("name=two\\nlines "), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("status=ERROR(\"bad\\r\\nthing\\x01\")"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("note=\"a\\tb\""), std::string::npos) << lines[0];
}

// A line as make_span() prints it, with a name like t3-17: nothing torn or interleaved.
// (Checked by hand: std::regex trips a false -Wmaybe-uninitialized in g++ 12 under ASan.)
bool is_whole_line(const std::string& line) {
  const auto hex_run = [&](std::size_t at, std::size_t n) {
    if (at + n > line.size()) return false;
    for (std::size_t i = at; i < at + n; ++i) {
      if (!std::isxdigit(static_cast<unsigned char>(line[i])) ||
          std::isupper(static_cast<unsigned char>(line[i]))) {
        return false;
      }
    }
    return true;
  };
  const std::string time_shape = "dddd-dd-ddTdd:dd:dd.ddddddZ";
  if (line.size() < time_shape.size()) return false;
  for (std::size_t i = 0; i < time_shape.size(); ++i) {
    const bool ok = time_shape[i] == 'd' ? std::isdigit(static_cast<unsigned char>(line[i])) != 0
                                         : line[i] == time_shape[i];
    if (!ok) return false;
  }
  std::size_t at = time_shape.size();
  for (const auto& [label, digits] :
       {std::pair<std::string, std::size_t>{" trace=", 32}, {" span=", 16}, {" parent=", 16}}) {
    if (line.compare(at, label.size(), label) != 0 || !hex_run(at + label.size(), digits))
      return false;
    at += label.size() + digits;
  }
  if (line.compare(at, 7, " name=t") != 0) return false;
  const std::size_t kind = line.find(" kind=client duration_ms=12.345 status=ERROR", at);
  const std::string tail = " events=1";
  return kind != std::string::npos && line.size() >= tail.size() &&
         line.compare(line.size() - tail.size(), tail.size(), tail) == 0;
}

TEST(ConsoleSpanExporter, ConcurrentExportsNeverInterleaveLines) {
  std::ostringstream out;
  ConsoleSpanExporter exporter(out);
  constexpr int kThreads = 4;
  constexpr int kBatches = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&exporter, t] {
      for (int i = 0; i < kBatches; ++i) {
        std::vector<std::unique_ptr<trace::SpanData>> batch;
        for (int j = 0; j < 3; ++j) {
          batch.push_back(make_span());
          // snprintf: g++ 12 warns falsely (-Wrestrict) on string concatenation here.
          char name[32];
          std::snprintf(name, sizeof name, "t%d-%d", t, i);
          batch.back()->name = name;
        }
        (void)exporter.export_spans(batch, Deadline::max());
      }
    });
  }
  for (auto& th : threads) th.join();

  const auto lines = lines_of(out.str());
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(kThreads * kBatches * 3));
  for (const auto& line : lines) ASSERT_TRUE(is_whole_line(line)) << line;
  // A batch is written in one piece: its three spans are adjacent.
  for (std::size_t i = 0; i < lines.size(); i += 3) {
    const auto name_of = [](const std::string& l) {
      const auto from = l.find(" name=") + 6;
      return l.substr(from, l.find(' ', from) - from);
    };
    EXPECT_EQ(name_of(lines[i]), name_of(lines[i + 1]));
    EXPECT_EQ(name_of(lines[i]), name_of(lines[i + 2]));
  }
}

TEST(ConsoleSpanExporter, PrintsNothingAfterShutdown) {
  std::ostringstream out;
  ConsoleSpanExporter exporter(out);
  exporter.shutdown(Deadline::max());
  std::vector<std::unique_ptr<trace::SpanData>> batch;
  batch.push_back(make_span());
  EXPECT_EQ(exporter.export_spans(batch, Deadline::max()), trace::ExportResult::kFailure);
  EXPECT_EQ(out.str(), "");
}

TEST(ConsoleSpanExporter, PrintsSpansEndedThroughATracerProvider) {
  std::ostringstream out;
  auto console = std::make_shared<ConsoleSpanExporter>(out);
  trace::TracerProvider provider({
      .resource = Resource(Attributes{{"service.name", "console-test"}}),
      .processor = std::make_unique<trace::SimpleSpanProcessor>(console),
  });
  trace::Tracer& tracer = provider.tracer("console");
  SpanContext parent_context;
  {
    trace::Span parent = tracer.start("parent", {.kind = trace::SpanKind::kServer});
    parent_context = parent.context();
    auto scope = parent.activate();
    trace::Span child = tracer.start("child");
    child.set("user.tier", "pro");
    child.add_event("cache.miss");
  }
  ASSERT_TRUE(provider.force_flush());
  const auto lines = lines_of(out.str());
  ASSERT_EQ(lines.size(), 2u) << out.str();
  // The child ends first.
  EXPECT_NE(lines[0].find(" parent=" + parent_context.span_id().to_hex() + " name=child "),
            std::string::npos)
      << lines[0];
  EXPECT_NE(lines[0].find("attributes={user.tier=\"pro\"} events=1"), std::string::npos)
      << lines[0];
  EXPECT_NE(lines[1].find(" trace=" + parent_context.trace_id().to_hex() + " span=" +
                          parent_context.span_id().to_hex() + " parent=- name=parent kind=server"),
            std::string::npos)
      << lines[1];
}

}  // namespace
}  // namespace lumen::exporters
