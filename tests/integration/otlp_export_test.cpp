// OTLP/HTTP export end to end: real spans, a real HTTP receiver on 127.0.0.1, and every payload
// decoded by a decoder we did not write (protobufjs, from @opentelemetry/otlp-proto-exporter-base).
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "http_receiver.hpp"
#include "lumen/core/error.hpp"
#include "lumen/core/id_generator.hpp"
#include "lumen/core/version.hpp"
#include "lumen/export/memory_exporter.hpp"
#include "lumen/export/otlp_http_exporter.hpp"
#include "lumen/trace/batch_span_processor.hpp"
#include "lumen/trace/tracer_provider.hpp"
#include "otlp_decoder.hpp"

namespace {

using namespace std::chrono_literals;
using lumen::exporters::OtlpCompression;
using lumen::exporters::OtlpHttpExporter;
using lumen::exporters::OtlpHttpExporterOptions;
using lumen::exporters::OtlpProtocol;
using lumen::testing::HttpReceiver;
using lumen::testing::ReceivedRequest;
using lumen::testing::ScriptedResponse;
using lumen::trace::ExportResult;
using Json = nlohmann::json;
using Steady = std::chrono::steady_clock;

// Collects the exporter's report lines.
class Reports {
 public:
  std::function<void(const std::string&)> sink() {
    return [this](const std::string& line) {
      std::lock_guard lock(mutex_);
      lines_.push_back(line);
    };
  }
  std::vector<std::string> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

// Short backoffs keep the retry tests fast; the deadline tests set their own timeout.
OtlpHttpExporterOptions options_for(const HttpReceiver& receiver, Reports& reports) {
  return OtlpHttpExporterOptions{
      .endpoint = receiver.url("/v1/traces"),
      .timeout = 5s,
      .initial_backoff = 1ms,
      .max_backoff = 20ms,
      .report = reports.sink(),
  };
}

// Finished spans under a fixed resource and scope, for tests that call the exporter directly.
class Batch {
 public:
  explicit Batch(std::size_t n) {
    const lumen::TraceId trace = lumen::IdGenerator::trace_id();
    for (std::size_t i = 0; i < n; ++i) {
      auto span = std::make_unique<lumen::trace::SpanData>();
      span->context = lumen::SpanContext(trace, lumen::IdGenerator::span_id(), lumen::SpanContext::kSampledFlag);
      span->name = "span-" + std::to_string(i);
      span->start_ns = 1'700'000'000'000'000'000ULL + i;
      span->end_ns = span->start_ns + 1000;
      span->scope = &scope_;
      spans_.push_back(std::move(span));
    }
  }
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;

  [[nodiscard]] lumen::trace::SpanBatch spans() const { return spans_; }
  [[nodiscard]] std::string span_id(std::size_t i) const { return spans_[i]->context.span_id().to_hex(); }

 private:
  lumen::Resource resource_{lumen::Attributes{{"service.name", "batch-test"}}};
  lumen::trace::InstrumentationScope scope_{"lumen.test", "1.2.3", &resource_};
  std::vector<std::unique_ptr<lumen::trace::SpanData>> spans_;
};

// All spans of every request, decoded, keyed by name.
std::map<std::string, Json> spans_by_name(const std::vector<ReceivedRequest>& requests) {
  std::map<std::string, Json> out;
  for (const auto& r : requests) {
    const Json decoded = lumen::testing::decode_otlp_traces(r.body);
    for (const auto& rs : decoded["message"]["resourceSpans"]) {
      for (const auto& ss : rs["scopeSpans"]) {
        for (const auto& s : ss["spans"]) out[s["name"].get<std::string>()] = s;
      }
    }
  }
  return out;
}

Json first_span(const ReceivedRequest& request) {
  const Json decoded = lumen::testing::decode_otlp_traces(request.body);
  return decoded["message"]["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
}

// The AnyValue of attribute `key` in a decoded attribute list; null if absent.
Json attribute(const Json& holder, const std::string& key) {
  for (const auto& kv : holder.value("attributes", Json::array())) {
    if (kv["key"] == key) return kv["value"];
  }
  return nullptr;
}

std::uint16_t closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("closed_port: cannot bind");
  }
  ::close(fd);  // nothing listens there now: connections are refused
  return ntohs(addr.sin_port);
}

TEST(OtlpExport, DeliversASpanTreeThatAnIndependentDecoderReads) {
  HttpReceiver receiver;
  Reports reports;
  auto exporter = std::make_shared<OtlpHttpExporter>(options_for(receiver, reports));
  lumen::trace::TracerProvider provider({
      .resource = lumen::Resource(lumen::Attributes{{"service.name", "beautifyai"},
                                                    {"service.version", "0.1.0"},
                                                    {"deployment.environment", "test"}}),
      .processor = std::make_unique<lumen::trace::BatchSpanProcessor>(
          exporter, lumen::trace::BatchSpanProcessorOptions{.schedule_delay = 60s}),
  });
  lumen::trace::Tracer& tracer = provider.tracer("beautifyai.gateway", "0.4.2");

  lumen::SpanContext linked;
  {
    lumen::trace::Span warmup = tracer.start("cache.warmup");
    linked = warmup.context();
  }
  const lumen::SpanContext remote(lumen::IdGenerator::trace_id(), lumen::IdGenerator::span_id(),
                                  lumen::SpanContext::kSampledFlag, /*remote=*/true);
  lumen::trace::Span inbound =
      tracer.start("http.inbound", {.kind = lumen::trace::SpanKind::kServer,
                                    .parent = lumen::Context().with_span(remote)});
  inbound.end();

  lumen::trace::Span root = tracer.start("beautifyai.document.enhance", {.kind = lumen::trace::SpanKind::kServer});
  lumen::SpanContext child_context;
  {
    auto scope = root.activate();
    root.set("user.id", "u-42")
        .set("cache.hit", false)
        .set("ai.tokens", 812)
        .set("ai.temperature", 0.25)
        .set("document.tags", std::vector<std::string>{"scan", "invoice"})
        .set("ai.scores", std::vector<double>{0.5, 1.5})
        .set("retry.codes", std::vector<std::int64_t>{503, -1})
        .set("flags.seen", std::vector<bool>{true, false});
    lumen::trace::Span child = tracer.start(
        "ai.provider.analyze",
        {.kind = lumen::trace::SpanKind::kClient,
         .links = {lumen::trace::Link{linked, lumen::Attributes{{"link.reason", "warmup"}}}}});
    child_context = child.context();
    child.add_event("retry", {{"attempt", 2}});
    child.record_exception(std::runtime_error("model overloaded"));
    child.set_status(lumen::trace::StatusCode::kError, "model overloaded");
    child.end();
    root.set_status(lumen::trace::StatusCode::kOk);
  }
  root.end();
  ASSERT_TRUE(provider.force_flush(5s));

  const auto requests = receiver.requests();
  ASSERT_FALSE(requests.empty());
  for (const auto& r : requests) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.path, "/v1/traces");
    EXPECT_EQ(r.headers.at("content-type"), "application/x-protobuf");
    const Json decoded = lumen::testing::decode_otlp_traces(r.body);
    const Json& rs = decoded["message"]["resourceSpans"][0];
    EXPECT_EQ(attribute(rs["resource"], "service.name"), Json({{"stringValue", "beautifyai"}}));
    EXPECT_EQ(attribute(rs["resource"], "deployment.environment"), Json({{"stringValue", "test"}}));
    EXPECT_EQ(rs["scopeSpans"][0]["scope"], Json({{"name", "beautifyai.gateway"}, {"version", "0.4.2"}}));
  }
  const auto spans = spans_by_name(requests);
  ASSERT_EQ(spans.size(), 4U);

  const Json& r = spans.at("beautifyai.document.enhance");
  EXPECT_EQ(r["traceId"], root.context().trace_id().to_hex());
  EXPECT_EQ(r["spanId"], root.context().span_id().to_hex());
  EXPECT_FALSE(r.contains("parentSpanId"));
  EXPECT_EQ(r["kind"], 2);  // SERVER
  EXPECT_EQ(r["status"], Json({{"code", 1}}));
  EXPECT_EQ(attribute(r, "user.id"), Json({{"stringValue", "u-42"}}));
  EXPECT_EQ(attribute(r, "cache.hit"), Json({{"boolValue", false}}));
  EXPECT_EQ(attribute(r, "ai.tokens"), Json({{"intValue", "812"}}));
  EXPECT_EQ(attribute(r, "ai.temperature"), Json({{"doubleValue", 0.25}}));
  EXPECT_EQ(attribute(r, "document.tags"),
            Json::parse(R"({"arrayValue":{"values":[{"stringValue":"scan"},{"stringValue":"invoice"}]}})"));
  EXPECT_EQ(attribute(r, "ai.scores"),
            Json::parse(R"({"arrayValue":{"values":[{"doubleValue":0.5},{"doubleValue":1.5}]}})"));
  EXPECT_EQ(attribute(r, "retry.codes"),
            Json::parse(R"({"arrayValue":{"values":[{"intValue":"503"},{"intValue":"-1"}]}})"));
  EXPECT_EQ(attribute(r, "flags.seen"),
            Json::parse(R"({"arrayValue":{"values":[{"boolValue":true},{"boolValue":false}]}})"));
  const auto start = std::stoull(r["startTimeUnixNano"].get<std::string>());
  const auto end = std::stoull(r["endTimeUnixNano"].get<std::string>());
  EXPECT_LE(start, end);
  const auto now_ns = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  EXPECT_LT(now_ns - start, 60'000'000'000ULL);  // a real wall-clock time, in nanoseconds

  const Json& c = spans.at("ai.provider.analyze");
  EXPECT_EQ(c["traceId"], r["traceId"]);
  EXPECT_EQ(c["spanId"], child_context.span_id().to_hex());
  EXPECT_EQ(c["parentSpanId"], r["spanId"]);
  EXPECT_EQ(c["kind"], 3);  // CLIENT
  EXPECT_EQ(c["status"], Json({{"code", 2}, {"message", "model overloaded"}}));
  ASSERT_EQ(c["events"].size(), 2U);
  EXPECT_EQ(c["events"][0]["name"], "retry");
  EXPECT_EQ(attribute(c["events"][0], "attempt"), Json({{"intValue", "2"}}));
  EXPECT_GE(std::stoull(c["events"][0]["timeUnixNano"].get<std::string>()), start);
  const Json& exception = c["events"][1];
  EXPECT_EQ(exception["name"], "exception");
  EXPECT_NE(attribute(exception, "exception.type")["stringValue"].get<std::string>().find("runtime_error"),
            std::string::npos);
  EXPECT_EQ(attribute(exception, "exception.message"), Json({{"stringValue", "model overloaded"}}));
  EXPECT_TRUE(attribute(exception, "exception.stacktrace").contains("stringValue"));
  ASSERT_EQ(c["links"].size(), 1U);
  EXPECT_EQ(c["links"][0]["traceId"], linked.trace_id().to_hex());
  EXPECT_EQ(c["links"][0]["spanId"], linked.span_id().to_hex());
  EXPECT_EQ(attribute(c["links"][0], "link.reason"), Json({{"stringValue", "warmup"}}));

  const Json& in = spans.at("http.inbound");
  EXPECT_EQ(in["traceId"], remote.trace_id().to_hex());
  EXPECT_EQ(in["parentSpanId"], remote.span_id().to_hex());
  EXPECT_FALSE(spans.at("cache.warmup").contains("parentSpanId"));

  // Span.flags and Link.flags: W3C sampled bit, HAS_IS_REMOTE (0x100), IS_REMOTE (0x200).
  std::map<std::string, std::uint32_t> span_flags;
  std::map<std::string, std::uint32_t> link_flags;
  for (const auto& req : requests) {
    const Json decoded = lumen::testing::decode_otlp_traces(req.body);
    for (const auto& [id, flags] : decoded["spanFlags"].items()) span_flags[id] = flags.get<std::uint32_t>();
    for (const auto& [id, flags] : decoded["linkFlags"].items()) link_flags[id] = flags.get<std::uint32_t>();
  }
  EXPECT_EQ(span_flags[r["spanId"].get<std::string>()], 0x101U);
  EXPECT_EQ(span_flags[in["spanId"].get<std::string>()], 0x301U);
  EXPECT_EQ(link_flags[linked.span_id().to_hex()], 0x101U);

  EXPECT_EQ(exporter->stats().spans_exported, 4U);
  EXPECT_EQ(exporter->stats().spans_failed, 0U);
  EXPECT_TRUE(reports.lines().empty());
}

TEST(OtlpExport, SendsUserAgentNamingLumenAndTheConfiguredHeaders) {
  HttpReceiver receiver;
  Reports reports;
  auto options = options_for(receiver, reports);
  options.headers = {{"x-api-key", "secret"}, {"x-tenant", "acme"}};
  OtlpHttpExporter exporter(options);
  Batch batch(1);
  ASSERT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 5s), ExportResult::kSuccess);
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].headers.at("user-agent"), std::string("lumen-cpp/") + lumen::kVersion);
  EXPECT_EQ(requests[0].headers.at("x-api-key"), "secret");
  EXPECT_EQ(requests[0].headers.at("x-tenant"), "acme");
  EXPECT_EQ(requests[0].headers.count("content-encoding"), 0U);
  EXPECT_EQ(first_span(requests[0])["spanId"], batch.span_id(0));
}

TEST(OtlpExport, ReusesOneConnectionAcrossExports) {
  HttpReceiver receiver;
  Reports reports;
  OtlpHttpExporter exporter(options_for(receiver, reports));
  Batch batch(1);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 5s), ExportResult::kSuccess);
  }
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 3U);
  for (const auto& r : requests) EXPECT_EQ(r.headers.count("connection"), 0U);  // no "close"
  EXPECT_EQ(exporter.stats().spans_exported, 3U);
}

TEST(OtlpExport, GzipBodiesCarryContentEncodingAndDecodeAfterGunzip) {
  HttpReceiver receiver;
  Reports reports;
  auto options = options_for(receiver, reports);
  options.compression = OtlpCompression::kGzip;
  OtlpHttpExporter exporter(options);
  Batch batch(20);
  ASSERT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 5s), ExportResult::kSuccess);
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].headers.at("content-encoding"), "gzip");
  ASSERT_GE(requests[0].body.size(), 2U);
  EXPECT_EQ(static_cast<unsigned char>(requests[0].body[0]), 0x1F);  // gzip magic
  EXPECT_EQ(static_cast<unsigned char>(requests[0].body[1]), 0x8B);
  const std::string plain = lumen::testing::gunzip(requests[0].body);
  EXPECT_LT(requests[0].body.size(), plain.size());
  const Json decoded = lumen::testing::decode_otlp_traces(plain);
  const Json& spans = decoded["message"]["resourceSpans"][0]["scopeSpans"][0]["spans"];
  ASSERT_EQ(spans.size(), 20U);
  EXPECT_EQ(spans[19]["name"], "span-19");
  EXPECT_EQ(spans[19]["spanId"], batch.span_id(19));
}

// The JSON encoding, parsed independently (nlohmann), equals what protobufjs decodes from the
// protobuf encoding of the same spans, apart from the flags that this decoder version drops.
TEST(OtlpExport, JsonEncodingMatchesTheProtobufEncodingOfTheSameSpans) {
  auto memory = std::make_shared<lumen::exporters::InMemorySpanExporter>();
  lumen::trace::TracerProvider provider({
      .resource = lumen::Resource(lumen::Attributes{{"service.name", "beautifyai"}, {"process.pid", 4242}}),
      .processor = std::make_unique<lumen::trace::SimpleSpanProcessor>(memory),
  });
  lumen::trace::Tracer& tracer = provider.tracer("beautifyai.gateway", "0.4.2");
  lumen::trace::Tracer& other = provider.tracer("lumen.cache");
  lumen::SpanContext linked;
  {
    lumen::trace::Span root = tracer.start("root", {.kind = lumen::trace::SpanKind::kServer});
    linked = root.context();
    auto scope = root.activate();
    root.set("s", "text \"quoted\" \xC3\xA9").set("b", true).set("i", -7).set("d", 1e-9).set("empty", std::vector<std::string>{});
    lumen::trace::Span cached = other.start("cache.get", {.kind = lumen::trace::SpanKind::kInternal,
                                                          .links = {lumen::trace::Link{linked, {{"k", 1.5}}}}});
    cached.add_event("miss", {{"key", "doc:1"}, {"sizes", std::vector<std::int64_t>{1, 2}}});
    cached.set_status(lumen::trace::StatusCode::kError, "boom");
  }
  const std::vector<lumen::trace::SpanData> finished = memory->spans();
  ASSERT_EQ(finished.size(), 2U);
  std::vector<std::unique_ptr<lumen::trace::SpanData>> batch;
  for (const auto& s : finished) batch.push_back(std::make_unique<lumen::trace::SpanData>(s));

  HttpReceiver receiver;
  Reports reports;
  auto proto_options = options_for(receiver, reports);
  auto json_options = proto_options;
  json_options.protocol = OtlpProtocol::kHttpJson;
  OtlpHttpExporter proto_exporter(proto_options);
  OtlpHttpExporter json_exporter(json_options);
  ASSERT_EQ(proto_exporter.export_spans(batch, Steady::now() + 5s), ExportResult::kSuccess);
  ASSERT_EQ(json_exporter.export_spans(batch, Steady::now() + 5s), ExportResult::kSuccess);
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(requests[1].headers.at("content-type"), "application/json");

  const Json from_proto = lumen::testing::decode_otlp_traces(requests[0].body);
  Json from_json = Json::parse(requests[1].body);
  // Two scopes under one resource, in the order the spans arrived.
  ASSERT_EQ(from_json["resourceSpans"].size(), 1U);
  ASSERT_EQ(from_json["resourceSpans"][0]["scopeSpans"].size(), 2U);
  // The OTLP/JSON mapping: hex ids, 64-bit integers as strings, enums as integers.
  const Json& root = from_json["resourceSpans"][0]["scopeSpans"][1]["spans"][0];
  EXPECT_EQ(root["name"], "root");
  EXPECT_EQ(root["traceId"], linked.trace_id().to_hex());
  EXPECT_EQ(root["spanId"], linked.span_id().to_hex());
  EXPECT_TRUE(root["startTimeUnixNano"].is_string());
  EXPECT_EQ(root["kind"], 2);
  EXPECT_EQ(attribute(root, "i"), Json({{"intValue", "-7"}}));
  EXPECT_EQ(root["flags"], 0x101);
  // Flags agree with the protobuf encoding's, then are set aside for the comparison.
  for (auto& ss : from_json["resourceSpans"][0]["scopeSpans"]) {
    for (auto& span : ss["spans"]) {
      EXPECT_EQ(span["flags"], from_proto["spanFlags"][span["spanId"].get<std::string>()]);
      span.erase("flags");
      for (auto& link : span.value("links", Json::array())) {
        EXPECT_EQ(link["flags"], from_proto["linkFlags"][link["spanId"].get<std::string>()]);
      }
      if (span.contains("links")) {
        for (auto& link : span["links"]) link.erase("flags");
      }
    }
  }
  EXPECT_EQ(from_json, from_proto["message"]) << "json:  " << from_json.dump() << "\nproto: "
                                              << from_proto["message"].dump();
}

TEST(OtlpExport, Retries503WithRetryAfterZeroAndDeliversOnce) {
  HttpReceiver receiver;
  receiver.script({{503, "", {{"Retry-After", "0"}}}, {200, ""}});
  Reports reports;
  OtlpHttpExporter exporter(options_for(receiver, reports));
  Batch batch(2);
  ASSERT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 5s), ExportResult::kSuccess);
  // The export returned: every request it made has arrived; exactly the retry, nothing more.
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(requests[0].body, requests[1].body);
  EXPECT_EQ(first_span(requests[1])["spanId"], batch.span_id(0));
  const auto stats = exporter.stats();
  EXPECT_EQ(stats.spans_exported, 2U);
  EXPECT_EQ(stats.spans_failed, 0U);
  EXPECT_EQ(stats.requests, 2U);
  EXPECT_EQ(stats.retries, 1U);
  EXPECT_TRUE(reports.lines().empty());
}

TEST(OtlpExport, RetriesEachRetryableStatus) {
  for (int status : {429, 502, 503, 504}) {
    SCOPED_TRACE(status);
    HttpReceiver receiver;
    receiver.script({{status, ""}, {status, ""}, {200, ""}});
    Reports reports;
    OtlpHttpExporter exporter(options_for(receiver, reports));
    Batch batch(1);
    EXPECT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 5s), ExportResult::kSuccess);
    EXPECT_EQ(receiver.requests().size(), 3U);
    EXPECT_EQ(exporter.stats().retries, 2U);
  }
}

TEST(OtlpExport, Honours429RetryAfterSeconds) {
  HttpReceiver receiver;
  receiver.script({{429, "", {{"Retry-After", "1"}}}, {200, ""}});
  Reports reports;
  OtlpHttpExporter exporter(options_for(receiver, reports));  // backoff alone would be <= 20 ms
  Batch batch(1);
  const auto start = Steady::now();
  ASSERT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 5s), ExportResult::kSuccess);
  EXPECT_GE(Steady::now() - start, 950ms);
  EXPECT_EQ(receiver.requests().size(), 2U);
}

TEST(OtlpExport, GivesUpAtOnceWhenRetryAfterExceedsTheDeadline) {
  HttpReceiver receiver;
  receiver.script({{503, "", {{"Retry-After", "30"}}}});
  Reports reports;
  OtlpHttpExporter exporter(options_for(receiver, reports));
  Batch batch(1);
  const auto start = Steady::now();
  EXPECT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 2s), ExportResult::kFailure);
  EXPECT_LT(Steady::now() - start, 1s);
  EXPECT_EQ(receiver.requests().size(), 1U);
  EXPECT_NE(exporter.stats().last_error.find("HTTP 503"), std::string::npos) << exporter.stats().last_error;
}

TEST(OtlpExport, DoesNotRetryOtherClientAndServerErrors) {
  for (int status : {400, 401, 404, 413, 500}) {
    SCOPED_TRACE(status);
    HttpReceiver receiver;
    receiver.script({{status, "invalid span"}, {200, ""}});
    Reports reports;
    OtlpHttpExporter exporter(options_for(receiver, reports));
    Batch batch(3);
    EXPECT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 5s), ExportResult::kFailure);
    EXPECT_EQ(receiver.requests().size(), 1U);
    const auto stats = exporter.stats();
    EXPECT_EQ(stats.spans_failed, 3U);
    EXPECT_EQ(stats.spans_exported, 0U);
    EXPECT_EQ(stats.retries, 0U);
    EXPECT_NE(stats.last_error.find("HTTP " + std::to_string(status)), std::string::npos) << stats.last_error;
    EXPECT_NE(stats.last_error.find("invalid span"), std::string::npos) << stats.last_error;
    const auto lines = reports.lines();
    ASSERT_EQ(lines.size(), 1U);
    EXPECT_NE(lines[0].find("failed: HTTP " + std::to_string(status)), std::string::npos) << lines[0];
    EXPECT_EQ(lines[0].find('\n'), std::string::npos);  // one line
  }
}

TEST(OtlpExport, RetriesRefusedConnectionsUntilTheDeadlineThenFailsClearly) {
  Reports reports;
  const std::string endpoint = "http://127.0.0.1:" + std::to_string(closed_port()) + "/v1/traces";
  OtlpHttpExporter exporter({.endpoint = endpoint,
                             .timeout = 400ms,
                             .initial_backoff = 10ms,
                             .max_backoff = 40ms,
                             .max_attempts = 1000,
                             .report = reports.sink()});
  Batch batch(1);
  const auto start = Steady::now();
  EXPECT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 10s), ExportResult::kFailure);
  const auto elapsed = Steady::now() - start;
  EXPECT_GE(elapsed, 300ms);  // kept trying for most of the 400 ms timeout
  EXPECT_LT(elapsed, 1500ms);
  const auto stats = exporter.stats();
  EXPECT_GT(stats.retries, 2U);
  EXPECT_EQ(stats.spans_failed, 1U);
  EXPECT_NE(stats.last_error.find("cannot connect"), std::string::npos) << stats.last_error;
  const auto lines = reports.lines();
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_NE(lines[0].find(endpoint), std::string::npos) << lines[0];
}

TEST(OtlpExport, ReturnsByTheDeadlineWhenTheReceiverHangs) {
  HttpReceiver receiver;
  receiver.script({ScriptedResponse{.hang = true}});
  Reports reports;
  auto options = options_for(receiver, reports);
  options.timeout = 300ms;
  OtlpHttpExporter exporter(options);
  Batch batch(1);
  const auto start = Steady::now();
  EXPECT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 10s), ExportResult::kFailure);
  const auto elapsed = Steady::now() - start;
  EXPECT_GE(elapsed, 250ms);
  EXPECT_LT(elapsed, 1500ms);
  EXPECT_EQ(receiver.requests().size(), 1U);  // a timeout is not retried: the deadline is spent
  EXPECT_NE(exporter.stats().last_error.find("no response"), std::string::npos) << exporter.stats().last_error;
}

TEST(OtlpExport, ShutdownAbortsAnExportStuckOnAHangingReceiver) {
  HttpReceiver receiver;
  receiver.script({ScriptedResponse{.hang = true}});
  Reports reports;
  auto options = options_for(receiver, reports);
  options.timeout = 30s;
  OtlpHttpExporter exporter(options);
  Batch batch(1);
  std::thread stopper([&] {
    receiver.wait_for_requests(1, 10s);  // the export is now waiting for an answer
    exporter.shutdown(Steady::now() + 1s);
  });
  const auto start = Steady::now();
  EXPECT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 30s), ExportResult::kFailure);
  EXPECT_LT(Steady::now() - start, 3s);
  stopper.join();
  EXPECT_NE(exporter.stats().last_error.find("aborted"), std::string::npos) << exporter.stats().last_error;
  // After shutdown nothing more is sent.
  EXPECT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 5s), ExportResult::kFailure);
  EXPECT_EQ(receiver.requests().size(), 1U);
}

TEST(OtlpExport, ReportsAPartialSuccessOnceAndDoesNotRetryIt) {
  HttpReceiver receiver;
  // ExportTraceServiceResponse{partial_success{rejected_spans=1, error_message="bad attribute"}}
  std::string body = {0x0A, 0x11, 0x08, 0x01, 0x12, 0x0D};
  body += "bad attribute";
  const ScriptedResponse partial{200, body, {{"Content-Type", "application/x-protobuf"}}};
  receiver.script({partial, partial});
  Reports reports;
  OtlpHttpExporter exporter(options_for(receiver, reports));
  Batch batch(2);
  EXPECT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 5s), ExportResult::kSuccess);
  EXPECT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 5s), ExportResult::kSuccess);
  EXPECT_EQ(receiver.requests().size(), 2U);  // one request per export: not retried
  const auto lines = reports.lines();
  ASSERT_EQ(lines.size(), 1U);  // the same message is reported once
  EXPECT_NE(lines[0].find("rejected 1 of 2 spans: bad attribute"), std::string::npos) << lines[0];
  const auto stats = exporter.stats();
  EXPECT_EQ(stats.spans_exported, 2U);
  EXPECT_EQ(stats.spans_failed, 2U);
  EXPECT_EQ(stats.retries, 0U);
}

TEST(OtlpExport, ReadsAJsonPartialSuccessWhenSendingJson) {
  HttpReceiver receiver;
  receiver.script({{200, R"({"partialSuccess":{"rejectedSpans":"3","errorMessage":"too old"}})",
                    {{"Content-Type", "application/json"}}}});
  Reports reports;
  auto options = options_for(receiver, reports);
  options.protocol = OtlpProtocol::kHttpJson;
  OtlpHttpExporter exporter(options);
  Batch batch(5);
  EXPECT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 5s), ExportResult::kSuccess);
  const auto lines = reports.lines();
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_NE(lines[0].find("rejected 3 of 5 spans: too old"), std::string::npos) << lines[0];
  EXPECT_EQ(exporter.stats().spans_exported, 2U);
  EXPECT_EQ(exporter.stats().spans_failed, 3U);
}

TEST(OtlpExport, RateLimitsFailureReports) {
  HttpReceiver receiver;
  receiver.script(std::vector<ScriptedResponse>(5, ScriptedResponse{400, ""}));
  Reports reports;
  auto options = options_for(receiver, reports);
  options.report_interval = std::chrono::hours(1);
  OtlpHttpExporter exporter(options);
  Batch batch(1);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 5s), ExportResult::kFailure);
  }
  EXPECT_EQ(reports.lines().size(), 1U);
  EXPECT_EQ(exporter.stats().spans_failed, 5U);
}

TEST(OtlpExport, ForkedChildExportsOverItsOwnConnection) {
  HttpReceiver receiver;
  Reports reports;
  OtlpHttpExporter exporter(options_for(receiver, reports));
  Batch batch(1);
  ASSERT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 5s), ExportResult::kSuccess);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const bool ok = exporter.export_spans(batch.spans(), Steady::now() + 5s) == ExportResult::kSuccess;
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  // The parent's connection still works after the child used its own.
  EXPECT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 5s), ExportResult::kSuccess);
  EXPECT_EQ(receiver.wait_for_requests(3, 5s).size(), 3U);
}

TEST(OtlpExport, RejectsAnEndpointThatIsNotHttp) {
  EXPECT_THROW(OtlpHttpExporter exporter({.endpoint = "localhost:4318"}), lumen::Error);
  EXPECT_THROW(OtlpHttpExporter exporter({.endpoint = "grpc://collector:4317"}), lumen::Error);
}

// The usage example at the top of lumen/export/otlp_http_exporter.hpp, compiled.
TEST(OtlpExport, HeaderExampleCompilesAndRuns) {
  HttpReceiver receiver;
  auto exporter = std::make_shared<lumen::exporters::OtlpHttpExporter>(lumen::exporters::OtlpHttpExporterOptions{
      .endpoint = receiver.url("/v1/traces"),
      .headers = {{"authorization", "Bearer abc"}},
      .compression = lumen::exporters::OtlpCompression::kGzip,
  });
  {
    lumen::trace::TracerProvider provider({
        .processor = std::make_unique<lumen::trace::BatchSpanProcessor>(exporter),
    });
    provider.tracer("example").start("hello").end();
  }  // the provider's destructor flushes
  std::uint64_t lost = exporter->stats().spans_failed;
  EXPECT_EQ(lost, 0U);
  EXPECT_EQ(exporter->stats().spans_exported, 1U);
  EXPECT_EQ(receiver.requests().at(0).headers.at("authorization"), "Bearer abc");
}

}  // namespace
