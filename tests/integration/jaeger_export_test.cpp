// The Jaeger exporter end to end: spans from a TracerProvider are POSTed to a real HTTP server on
// 127.0.0.1 and the bodies are decoded by thriftrw with Jaeger's own IDL.
#include "lumen/export/jaeger_exporter.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "http_receiver.hpp"
#include "jaeger_decoder.hpp"
#include "lumen/core/clock.hpp"
#include "lumen/core/error.hpp"
#include "lumen/trace/batch_span_processor.hpp"
#include "lumen/trace/tracer_provider.hpp"

namespace lumen::exporters {
namespace {

using namespace std::chrono_literals;
using lumen::testing::HttpReceiver;
using nlohmann::json;

json tag(const json& tags, std::string_view key) {
  for (const json& t : tags) {
    if (t["key"] == key) return t;
  }
  ADD_FAILURE() << "no tag " << key << " in " << tags.dump();
  return json::object();
}

const json& span_named(const json& batch, std::string_view name) {
  for (const json& s : batch["spans"]) {
    if (s["operationName"] == name) return s;
  }
  throw std::runtime_error("no span named " + std::string(name) + " in " + batch.dump());
}

JaegerExporterOptions options_for(const HttpReceiver& receiver) {
  return JaegerExporterOptions{
      .endpoint = receiver.url("/api/traces"),
      .timeout = 5s,
      .initial_backoff = 10ms,
  };
}

std::unique_ptr<trace::SpanData> make_span(std::string name) {
  auto s = std::make_unique<trace::SpanData>();
  s->context = SpanContext(*TraceId::from_hex("0af7651916cd43dd8448eb211c80319c"),
                           *SpanId::from_hex("b7ad6b7169203331"), SpanContext::kSampledFlag);
  s->name = std::move(name);
  s->start_ns = 1'700'000'000'000'000'000ULL;
  s->end_ns = s->start_ns + 5'000'000;
  return s;
}

TEST(JaegerExport, PostsThriftBatchesThatJaegersIdlDecodes) {
  HttpReceiver receiver;
  auto jaeger = std::make_shared<JaegerExporter>(options_for(receiver));
  trace::TracerProvider provider({
      .resource =
          Resource(Attributes{{"service.name", "beautifyai"}, {"deployment.environment", "test"}}),
      .processor = std::make_unique<trace::BatchSpanProcessor>(jaeger),
  });
  trace::Tracer& tracer = provider.tracer("beautifyai.enhance", "0.1.0");

  SpanContext parent_context;
  SpanContext child_context;
  const SpanContext linked(*TraceId::from_hex("11111111111111112222222222222222"),
                           *SpanId::from_hex("3333333333333333"), SpanContext::kSampledFlag);
  {
    trace::Span parent =
        tracer.start("beautifyai.document.enhance", {.kind = trace::SpanKind::kServer});
    parent_context = parent.context();
    parent.set("user.id", "u-17").set("document.id", std::int64_t{42});
    auto scope = parent.activate();
    trace::Span child =
        tracer.start("ai.provider.analyze",
                     {.kind = trace::SpanKind::kClient, .links = {trace::Link{linked, {}, 0}}});
    child_context = child.context();
    child.set("ai.tokens", std::int64_t{812}).set("cache.hit", false).set("ai.cost", 0.5);
    child.add_event("retry", {{"attempt", std::int64_t{2}}});
    child.set_status(trace::StatusCode::kError, "provider timed out");
  }
  ASSERT_TRUE(provider.force_flush(5s));

  const auto requests = receiver.wait_for_requests(1, 5s);
  ASSERT_EQ(requests.size(), 1u);
  const auto& request = requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.path, "/api/traces");
  EXPECT_EQ(request.headers.at("content-type"), "application/x-thrift");

  const json batch = lumen::testing::decode_jaeger_batch(request.body);
  EXPECT_EQ(batch["process"]["serviceName"], "beautifyai");
  EXPECT_EQ(tag(batch["process"]["tags"], "deployment.environment")["vStr"], "test");
  ASSERT_EQ(batch["spans"].size(), 2u);

  const std::string trace_hex = parent_context.trace_id().to_hex();
  const json& parent = span_named(batch, "beautifyai.document.enhance");
  const json& child = span_named(batch, "ai.provider.analyze");
  for (const json* s : {&parent, &child}) {
    EXPECT_EQ((*s)["traceIdHigh"], trace_hex.substr(0, 16));
    EXPECT_EQ((*s)["traceIdLow"], trace_hex.substr(16));
    EXPECT_EQ((*s)["flags"], 1);
    EXPECT_EQ(tag((*s)["tags"], "otel.scope.name")["vStr"], "beautifyai.enhance");
    EXPECT_EQ(tag((*s)["tags"], "otel.scope.version")["vStr"], "0.1.0");
  }
  EXPECT_EQ(parent["spanId"], parent_context.span_id().to_hex());
  EXPECT_EQ(parent["parentSpanId"], "0000000000000000");
  EXPECT_EQ(child["spanId"], child_context.span_id().to_hex());
  EXPECT_EQ(child["parentSpanId"], parent_context.span_id().to_hex());

  EXPECT_EQ(tag(parent["tags"], "span.kind")["vStr"], "server");
  EXPECT_EQ(tag(parent["tags"], "user.id")["vStr"], "u-17");
  EXPECT_EQ(tag(parent["tags"], "document.id")["vLong"], "42");
  EXPECT_EQ(tag(child["tags"], "span.kind")["vStr"], "client");
  EXPECT_EQ(tag(child["tags"], "ai.tokens")["vLong"], "812");
  EXPECT_EQ(tag(child["tags"], "cache.hit")["vBool"], false);
  EXPECT_EQ(tag(child["tags"], "ai.cost")["vDouble"], 0.5);
  EXPECT_EQ(tag(child["tags"], "otel.status_code")["vStr"], "ERROR");
  EXPECT_EQ(tag(child["tags"], "otel.status_description")["vStr"], "provider timed out");
  EXPECT_EQ(tag(child["tags"], "error")["vBool"], true);

  // Times: microseconds, the child inside its parent.
  const auto us = [](const json& v) { return std::stoll(v.get<std::string>()); };
  EXPECT_GT(us(parent["startTime"]), 1'600'000'000'000'000LL);  // microseconds since 1970, not ns
  EXPECT_LT(us(parent["startTime"]), 4'000'000'000'000'000LL);
  EXPECT_GE(us(child["startTime"]), us(parent["startTime"]));
  EXPECT_LE(us(child["startTime"]) + us(child["duration"]),
            us(parent["startTime"]) + us(parent["duration"]) + 1);

  ASSERT_EQ(child["logs"].size(), 1u);
  EXPECT_EQ(tag(child["logs"][0]["fields"], "event")["vStr"], "retry");
  EXPECT_EQ(tag(child["logs"][0]["fields"], "attempt")["vLong"], "2");
  EXPECT_GE(us(child["logs"][0]["timestamp"]), us(child["startTime"]));

  ASSERT_EQ(child["references"].size(), 1u);
  EXPECT_EQ(child["references"][0]["refType"], "FOLLOWS_FROM");
  EXPECT_EQ(child["references"][0]["traceIdHigh"], "1111111111111111");
  EXPECT_EQ(child["references"][0]["traceIdLow"], "2222222222222222");
  EXPECT_EQ(child["references"][0]["spanId"], "3333333333333333");

  const JaegerExporterStats stats = jaeger->stats();
  EXPECT_EQ(stats.spans_exported, 2u);
  EXPECT_EQ(stats.spans_failed, 0u);
  EXPECT_EQ(stats.requests_sent, 1u);
  EXPECT_EQ(stats.bytes_sent, request.body.size());
}

TEST(JaegerExport, RetriesA503AndDeliversTheBatchOnce) {
  HttpReceiver receiver;
  receiver.script({{503, "", {{"Retry-After", "0"}}}, {200, ""}});
  JaegerExporter jaeger(options_for(receiver));
  std::vector<std::unique_ptr<trace::SpanData>> batch;
  batch.push_back(make_span("retried"));

  EXPECT_EQ(jaeger.export_spans(batch, std::chrono::steady_clock::now() + 5s),
            trace::ExportResult::kSuccess);
  const auto requests = receiver.requests();  // export_spans returned: every request has arrived
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].body, requests[1].body);
  EXPECT_EQ(requests[1].path, "/api/traces");
  const json decoded = lumen::testing::decode_jaeger_batch(requests[1].body);
  ASSERT_EQ(decoded["spans"].size(), 1u);
  EXPECT_EQ(decoded["spans"][0]["operationName"], "retried");

  const JaegerExporterStats stats = jaeger.stats();
  EXPECT_EQ(stats.spans_exported, 1u);
  EXPECT_EQ(stats.spans_failed, 0u);
  EXPECT_EQ(stats.requests_sent, 1u);
  EXPECT_EQ(stats.requests_failed, 0u);
}

TEST(JaegerExport, CountsFailuresAndReportsThemOnOneRateLimitedLine) {
  HttpReceiver receiver;
  receiver.script({{400, "bad batch"}, {500, ""}});
  std::ostringstream diagnostics;
  JaegerExporterOptions options = options_for(receiver);
  options.diagnostics = &diagnostics;
  options.report_interval = 1h;
  JaegerExporter jaeger(options);

  std::vector<std::unique_ptr<trace::SpanData>> first;
  first.push_back(make_span("a"));
  first.push_back(make_span("b"));
  std::vector<std::unique_ptr<trace::SpanData>> second;
  second.push_back(make_span("c"));
  EXPECT_EQ(jaeger.export_spans(first, std::chrono::steady_clock::now() + 5s),
            trace::ExportResult::kFailure);
  EXPECT_EQ(jaeger.export_spans(second, std::chrono::steady_clock::now() + 5s),
            trace::ExportResult::kFailure);

  // 400 and 500 are not retried.
  EXPECT_EQ(receiver.requests().size(), 2u);
  const JaegerExporterStats stats = jaeger.stats();
  EXPECT_EQ(stats.spans_exported, 0u);
  EXPECT_EQ(stats.spans_failed, 3u);
  EXPECT_EQ(stats.requests_failed, 2u);

  const std::string text = diagnostics.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
  EXPECT_NE(text.find("lumen: Jaeger export: POST " + receiver.url("/api/traces")),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("HTTP 400"), std::string::npos) << text;
  EXPECT_NE(text.find("2 spans dropped"), std::string::npos) << text;
}

TEST(JaegerExport, ReportsTheFailuresItHeldBackInTheNextLine) {
  HttpReceiver receiver;
  receiver.script({{500, ""}, {500, ""}, {500, ""}, {500, ""}});
  std::ostringstream diagnostics;
  ManualClock clock;
  JaegerExporterOptions options = options_for(receiver);
  options.diagnostics = &diagnostics;
  options.report_interval = 10s;
  options.clock = &clock;
  JaegerExporter jaeger(options);
  const auto fail_once = [&](std::size_t spans) {
    std::vector<std::unique_ptr<trace::SpanData>> batch;
    for (std::size_t i = 0; i < spans; ++i) batch.push_back(make_span("x"));
    EXPECT_EQ(jaeger.export_spans(batch, std::chrono::steady_clock::now() + 5s),
              trace::ExportResult::kFailure);
  };

  fail_once(1);
  clock.advance(9s);
  fail_once(2);
  fail_once(3);
  const std::string held = diagnostics.str();
  EXPECT_EQ(std::count(held.begin(), held.end(), '\n'), 1) << held;
  clock.advance(1s);
  fail_once(4);

  const std::string text = diagnostics.str();
  ASSERT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;
  const std::string second = text.substr(text.find('\n') + 1);
  EXPECT_NE(second.find("4 spans dropped (and 2 earlier failed exports with 5 spans since the last "
                        "report)"),
            std::string::npos)
      << second;
  EXPECT_EQ(jaeger.stats().spans_failed, 10u);
}

TEST(JaegerExport, ReturnsByTheDeadlineWhenTheCollectorHangs) {
  HttpReceiver receiver;
  receiver.script({{.hang = true}});
  std::ostringstream diagnostics;
  JaegerExporterOptions options = options_for(receiver);
  options.diagnostics = &diagnostics;
  JaegerExporter jaeger(options);
  std::vector<std::unique_ptr<trace::SpanData>> batch;
  batch.push_back(make_span("hung"));

  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(jaeger.export_spans(batch, start + 300ms), trace::ExportResult::kFailure);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 2s);
  EXPECT_EQ(jaeger.stats().spans_failed, 1u);
  EXPECT_NE(diagnostics.str().find("1 span dropped"), std::string::npos) << diagnostics.str();
}

TEST(JaegerExport, FailsWithoutSendingAfterShutdown) {
  HttpReceiver receiver;
  JaegerExporter jaeger(options_for(receiver));
  jaeger.shutdown(std::chrono::steady_clock::now() + 1s);
  std::vector<std::unique_ptr<trace::SpanData>> batch;
  batch.push_back(make_span("late"));
  EXPECT_EQ(jaeger.export_spans(batch, std::chrono::steady_clock::now() + 1s),
            trace::ExportResult::kFailure);
  EXPECT_EQ(jaeger.stats().spans_failed, 1u);
  EXPECT_TRUE(receiver.requests().empty());
}

TEST(JaegerExport, RejectsAnEndpointThatIsNotAnHttpUrl) {
  EXPECT_THROW(JaegerExporter(JaegerExporterOptions{.endpoint = "localhost:14268/api/traces"}),
               lumen::Error);
  EXPECT_NO_THROW(JaegerExporter(JaegerExporterOptions{}));  // the default endpoint is valid
}

}  // namespace
}  // namespace lumen::exporters
