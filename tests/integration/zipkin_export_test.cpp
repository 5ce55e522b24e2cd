// The Zipkin exporter end to end: spans are POSTed to a real HTTP server on 127.0.0.1, and the
// body is checked against the Zipkin v2 API's JSON schema (tests/tools/zipkin2_spans.schema.json,
// with python3-jsonschema) and field by field against the OpenTelemetry Zipkin mapping.
#include "lumen/export/zipkin_exporter.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "http_receiver.hpp"
#include "lumen/runtime.hpp"
#include "lumen/trace/batch_span_processor.hpp"
#include "lumen/trace/tracer_provider.hpp"
#include "program_run.hpp"

namespace lumen::exporters {
namespace {

using namespace std::chrono_literals;
using lumen::testing::HttpReceiver;
using nlohmann::json;

// Runs the schema validator on `body`; "" when valid, else what it printed.
std::string schema_errors(const std::string& body) {
  char path[] = "/tmp/lumen-zipkin-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return "cannot create a temporary file";
  close(fd);
  std::ofstream(path, std::ios::binary) << body;
  const std::string tools = LUMEN_TEST_TOOLS_DIR;
  // Debian's interpreter, where python3-jsonschema is installed (scripts/bootstrap.sh).
  const lumen::testing::ProgramRun run =
      lumen::testing::run_program("/usr/bin/python3 " + tools + "/validate_json_schema.py " +
                                  tools + "/zipkin2_spans.schema.json " + path);
  std::remove(path);
  if (run.status == 0) return "";
  return "status " + std::to_string(run.status) + ": " + run.out + run.err;
}

const json& zipkin_span_named(const json& spans, std::string_view name) {
  for (const json& s : spans) {
    if (s["name"] == name) return s;
  }
  throw std::runtime_error("no span named " + std::string(name) + " in " + spans.dump());
}

TEST(ZipkinExport, PostsV2JsonThatTheZipkinSchemaAccepts) {
  HttpReceiver receiver;
  auto zipkin = std::make_shared<ZipkinExporter>(ZipkinExporterOptions{
      .endpoint = receiver.url("/api/v2/spans"), .timeout = 5s, .initial_backoff = 10ms});
  trace::TracerProvider provider({
      .resource =
          Resource(Attributes{{"service.name", "beautifyai"}, {"deployment.environment", "test"}}),
      .processor = std::make_unique<trace::BatchSpanProcessor>(zipkin),
  });
  trace::Tracer& tracer = provider.tracer("beautifyai.enhance", "0.1.0");

  SpanContext parent_context;
  SpanContext child_context;
  {
    trace::Span parent =
        tracer.start("beautifyai.document.enhance", {.kind = trace::SpanKind::kServer});
    parent_context = parent.context();
    parent.set("user.id", "u-17").set("document.id", std::int64_t{42});
    parent.set_status(trace::StatusCode::kOk);
    auto scope = parent.activate();
    trace::Span child = tracer.start("ai.provider.analyze", {.kind = trace::SpanKind::kClient});
    child_context = child.context();
    child.set("peer.service", "gemini").set("server.port", std::int64_t{443});
    child.set("ai.tokens", std::int64_t{812}).set("cache.hit", false).set("ai.cost", 0.5);
    child.set("ai.models", std::vector<std::string>{"a", "b"});
    child.add_event("retry", {{"attempt", std::int64_t{2}}});
    child.add_event("sent");
    child.set_status(trace::StatusCode::kError, "provider timed out");
    trace::Span internal = tracer.start("prompt.render");
  }
  ASSERT_TRUE(provider.force_flush(5s));

  const auto requests = receiver.wait_for_requests(1, 5s);
  ASSERT_EQ(requests.size(), 1u);
  const auto& request = requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.path, "/api/v2/spans");
  EXPECT_EQ(request.headers.at("content-type"), "application/json");
  EXPECT_EQ(schema_errors(request.body), "") << request.body;

  const json spans = json::parse(request.body);
  ASSERT_EQ(spans.size(), 3u);
  const json& parent = zipkin_span_named(spans, "beautifyai.document.enhance");
  const json& child = zipkin_span_named(spans, "ai.provider.analyze");
  const json& internal = zipkin_span_named(spans, "prompt.render");

  for (const json* s : {&parent, &child, &internal}) {
    EXPECT_EQ((*s)["traceId"], parent_context.trace_id().to_hex());  // 32 lowercase hex digits
    EXPECT_EQ((*s)["localEndpoint"], json({{"serviceName", "beautifyai"}}));
    EXPECT_EQ((*s)["tags"]["otel.scope.name"], "beautifyai.enhance");
    EXPECT_EQ((*s)["tags"]["otel.scope.version"], "0.1.0");
    EXPECT_FALSE(s->contains("shared"));
  }
  EXPECT_EQ(parent["id"], parent_context.span_id().to_hex());
  EXPECT_FALSE(parent.contains("parentId"));
  EXPECT_EQ(child["id"], child_context.span_id().to_hex());
  EXPECT_EQ(child["parentId"], parent_context.span_id().to_hex());
  EXPECT_EQ(internal["parentId"], parent_context.span_id().to_hex());

  EXPECT_EQ(parent["kind"], "SERVER");
  EXPECT_EQ(child["kind"], "CLIENT");
  EXPECT_FALSE(internal.contains("kind"));          // INTERNAL has no Zipkin kind
  EXPECT_FALSE(parent.contains("remoteEndpoint"));  // only CLIENT and PRODUCER spans name a peer
  EXPECT_EQ(child["remoteEndpoint"], json({{"serviceName", "gemini"}, {"port", 443}}));

  // Attributes as string tags; the status as otel.status_code and error.
  EXPECT_EQ(parent["tags"]["user.id"], "u-17");
  EXPECT_EQ(parent["tags"]["document.id"], "42");
  EXPECT_EQ(parent["tags"]["otel.status_code"], "OK");
  EXPECT_FALSE(parent["tags"].contains("error"));
  EXPECT_EQ(child["tags"]["ai.tokens"], "812");
  EXPECT_EQ(child["tags"]["cache.hit"], "false");
  EXPECT_EQ(child["tags"]["ai.cost"], "0.5");
  EXPECT_EQ(child["tags"]["ai.models"], R"(["a","b"])");
  EXPECT_EQ(child["tags"]["otel.status_code"], "ERROR");
  EXPECT_EQ(child["tags"]["error"], "provider timed out");
  EXPECT_FALSE(internal["tags"].contains("otel.status_code"));  // unset: no tag

  // Times in microseconds since the epoch, the child inside its parent.
  const std::int64_t start = parent["timestamp"];
  EXPECT_GT(start, 1'600'000'000'000'000LL);
  EXPECT_LT(start, 4'000'000'000'000'000LL);
  EXPECT_GE(child["timestamp"].get<std::int64_t>(), start);
  EXPECT_LE(child["timestamp"].get<std::int64_t>() + child["duration"].get<std::int64_t>(),
            start + parent["duration"].get<std::int64_t>() + 1);

  // Events as annotations: {"name":{attributes}} as a JSON string, or the bare name.
  ASSERT_EQ(child["annotations"].size(), 2u);
  EXPECT_EQ(child["annotations"][0]["value"], R"({"retry":{"attempt":2}})");
  EXPECT_EQ(child["annotations"][1]["value"], "sent");
  EXPECT_GE(child["annotations"][0]["timestamp"].get<std::int64_t>(),
            child["timestamp"].get<std::int64_t>());

  EXPECT_EQ(zipkin->stats().spans_exported, 3u);
  EXPECT_EQ(zipkin->stats().requests_sent, 1u);
}

TEST(ZipkinExport, TheSchemaRejectsWhatZipkinWouldNot) {
  // The validator itself: a body with an upper-case id and a zero duration fails.
  const std::string errors = schema_errors(
      R"([{"traceId":"0AF7651916CD43DD8448EB211C80319C","id":"b7ad6b7169203331","duration":0}])");
  EXPECT_NE(errors.find("traceId"), std::string::npos) << errors;
  EXPECT_NE(errors.find("duration"), std::string::npos) << errors;
}

TEST(ZipkinExport, RuntimeSendsToTheZipkinEndpointFromTheEnvironment) {
  HttpReceiver receiver;
  {
    Runtime rt(Config::from_env(
        Environment({{"OTEL_TRACES_EXPORTER", "zipkin"},
                     {"OTEL_SERVICE_NAME", "checkout"},
                     {"OTEL_EXPORTER_ZIPKIN_ENDPOINT", receiver.url("/api/v2/spans")},
                     {"OTEL_EXPORTER_ZIPKIN_TIMEOUT", "5000"}})));
    rt.tracer().trace("checkout.pay", [] {});
    ASSERT_TRUE(rt.flush(5s));
  }
  const auto requests = receiver.wait_for_requests(1, 5s);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(schema_errors(requests[0].body), "") << requests[0].body;
  const json spans = json::parse(requests[0].body);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0]["name"], "checkout.pay");
  EXPECT_EQ(spans[0]["localEndpoint"]["serviceName"], "checkout");
}

TEST(ZipkinExport, ARejectedBatchIsCountedAndReported) {
  HttpReceiver receiver;
  receiver.script({{400, "bad"}});
  std::ostringstream diagnostics;
  ZipkinExporter zipkin({.endpoint = receiver.url("/api/v2/spans"),
                         .timeout = 5s,
                         .initial_backoff = 10ms,
                         .diagnostics = &diagnostics});
  auto span = std::make_unique<trace::SpanData>();
  span->context = SpanContext(*TraceId::from_hex("0af7651916cd43dd8448eb211c80319c"),
                              *SpanId::from_hex("b7ad6b7169203331"), SpanContext::kSampledFlag);
  span->name = "x";
  std::vector<std::unique_ptr<trace::SpanData>> batch;
  batch.push_back(std::move(span));
  EXPECT_EQ(zipkin.export_spans(batch, std::chrono::steady_clock::now() + 5s),
            trace::ExportResult::kFailure);
  EXPECT_EQ(zipkin.stats().spans_failed, 1u);
  EXPECT_EQ(zipkin.stats().requests_failed, 1u);
  EXPECT_NE(diagnostics.str().find("HTTP 400"), std::string::npos) << diagnostics.str();
}

}  // namespace
}  // namespace lumen::exporters
