// The Jaeger Thrift encoder, checked two ways: the binary writer against bytes computed by hand
// from the Thrift binary protocol, and whole batches decoded by thriftrw with Jaeger's own IDL
// (tests/tools/decode_jaeger.js), a decoder we did not write.
#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "byte_string.hpp"
#include "export/jaeger_thrift_encoder.hpp"
#include "export/thrift_binary_writer.hpp"
#include "jaeger_decoder.hpp"

namespace lumen::exporters::detail {
namespace {

using nlohmann::json;

TEST(ThriftBinaryWriter, WritesScalarsBigEndian) {
  std::string out;
  ThriftBinaryWriter w(out);
  w.write_i16(-2);
  w.write_i32(0x01020304);
  w.write_i64(static_cast<std::int64_t>(0x8877665544332211ULL));
  w.write_double(1.0);
  w.write_double(-2.5);
  w.write_bool(true);
  w.write_bool(false);
  w.write_byte(-1);
  EXPECT_EQ(out, bytes({0xff, 0xfe,                                      // i16 -2
                        0x01, 0x02, 0x03, 0x04,                          // i32
                        0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,  // i64
                        0x3f, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // 1.0
                        0xc0, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // -2.5
                        0x01, 0x00, 0xff}));
}

TEST(ThriftBinaryWriter, WritesFieldHeadersStringsListsAndStop) {
  std::string out;
  ThriftBinaryWriter w(out);
  w.field_i64(1, 5);
  w.field_string(5, "op");
  w.field_string(300, "");
  w.field_i32(7, 1);
  w.field_bool(5, true);
  w.field_double(4, 0.5);
  w.field_begin(ThriftType::kList, 10);
  w.list_begin(ThriftType::kStruct, 2);
  w.field_stop();
  EXPECT_EQ(out, bytes({0x0a, 0x00, 0x01, 0,    0,    0, 0, 0,   0,   0, 5,  // i64 field 1
                        0x0b, 0x00, 0x05, 0,    0,    0, 2, 'o', 'p',        // string field 5
                        0x0b, 0x01, 0x2c, 0,    0,    0, 0,  // empty string, field 300
                        0x08, 0x00, 0x07, 0,    0,    0, 1,  // i32 field 7
                        0x02, 0x00, 0x05, 0x01,              // bool field 5
                        0x04, 0x00, 0x04, 0x3f, 0xe0, 0, 0, 0,   0,   0, 0,  // double 0.5
                        0x0f, 0x00, 0x0a, 0x0c, 0,    0, 0, 2,               // list<struct>[2]
                        0x00}));
}

TEST(ThriftBinaryWriter, PatchesTheSizeOfAnUnsizedList) {
  std::string out;
  ThriftBinaryWriter w(out);
  const std::size_t handle = w.list_begin_unsized(ThriftType::kI32);
  w.write_i32(7);
  w.write_i32(8);
  w.list_set_size(handle, 258);
  EXPECT_EQ(out, bytes({0x08, 0, 0, 0x01, 0x02, 0, 0, 0, 7, 0, 0, 0, 8}));
}

TEST(ThriftBinaryWriter, KeepsBinaryStringsIntact) {
  std::string out;
  ThriftBinaryWriter w(out);
  const std::string value("a\0\xff", 3);
  w.write_string(value);
  EXPECT_EQ(out, bytes({0, 0, 0, 3, 'a', 0x00, 0xff}));
}

TEST(JaegerAttributeJson, RendersArraysAsJson) {
  EXPECT_EQ(attribute_to_json(std::vector<std::string>{"a", "b\"c", "d\\e\n"}),
            R"(["a","b\"c","d\\e\n"])");
  EXPECT_EQ(attribute_to_json(std::vector<std::int64_t>{1, -2, 9'000'000'000}),
            "[1,-2,9000000000]");
  EXPECT_EQ(attribute_to_json(std::vector<bool>{true, false}), "[true,false]");
  EXPECT_EQ(attribute_to_json(std::vector<double>{1.5, -0.25, 3}), "[1.5,-0.25,3]");
  EXPECT_EQ(attribute_to_json(std::vector<std::string>{}), "[]");
  EXPECT_EQ(attribute_to_json(std::vector<std::string>{std::string("\x01", 1)}), R"(["\u0001"])");
}

// ---- whole batches, decoded by thriftrw ----

TraceId trace_id_from(std::string_view hex) {
  return *TraceId::from_hex(hex);
}
SpanId span_id_from(std::string_view hex) {
  return *SpanId::from_hex(hex);
}

// High bits set in both halves, so a wrong sign or byte order shows.
constexpr std::string_view kTraceHex = "f1e2d3c4b5a69788796a5b4c3d2e1f00";
constexpr std::string_view kSpanHex = "8899aabbccddeeff";
constexpr std::string_view kParentHex = "0102030405060708";

struct Fixture {
  Resource resource{Attributes{{"service.name", "beautifyai"},
                               {"service.version", "0.1.0"},
                               {"process.pid", std::int64_t{4242}}}};
  std::shared_ptr<const trace::InstrumentationScope> scope =
      std::make_shared<const trace::InstrumentationScope>(
          trace::InstrumentationScope{"beautifyai.enhance", "1.2.3", &resource});

  std::unique_ptr<trace::SpanData> span(std::string name) const {
    auto s = std::make_unique<trace::SpanData>();
    s->context =
        SpanContext(trace_id_from(kTraceHex), span_id_from(kSpanHex), SpanContext::kSampledFlag);
    s->parent_span_id = span_id_from(kParentHex);
    s->name = std::move(name);
    s->start_ns = 1'700'000'000'123'456'789ULL;
    s->end_ns = s->start_ns + 42'987'654;  // 42987.654 us
    s->scope = scope;
    return s;
  }
};

json decode(const std::vector<std::unique_ptr<trace::SpanData>>& spans) {
  std::vector<JaegerBatch> batches = encode_jaeger_batches(spans);
  if (batches.size() != 1) throw std::runtime_error("expected exactly one batch");
  return lumen::testing::decode_jaeger_batch(batches[0].body);
}

// The one tag with `key`; fails the test when there is none or more than one.
json tag(const json& tags, std::string_view key) {
  json found;
  int count = 0;
  if (tags.is_array()) {
    for (const json& t : tags) {
      if (t["key"] == key) {
        found = t;
        ++count;
      }
    }
  }
  EXPECT_EQ(count, 1) << "tag " << key << " in " << tags.dump();
  return found;
}

bool has_tag(const json& tags, std::string_view key) {
  if (!tags.is_array()) return false;
  for (const json& t : tags) {
    if (t["key"] == key) return true;
  }
  return false;
}

TEST(JaegerThriftEncoder, EncodesIdsTimesFlagsAndNameAsJaegerReadsThem) {
  Fixture f;
  std::vector<std::unique_ptr<trace::SpanData>> spans;
  spans.push_back(f.span("beautifyai.document.enhance"));
  const json batch = decode(spans);

  ASSERT_EQ(batch["spans"].size(), 1u);
  const json& s = batch["spans"][0];
  EXPECT_EQ(s["traceIdHigh"], "f1e2d3c4b5a69788");
  EXPECT_EQ(s["traceIdLow"], "796a5b4c3d2e1f00");
  const TraceId id = trace_id_from(kTraceHex);
  EXPECT_EQ(s["traceIdHigh"], id.to_hex().substr(0, 16));
  EXPECT_EQ(s["traceIdLow"], id.to_hex().substr(16));
  EXPECT_EQ(s["spanId"], kSpanHex);
  EXPECT_EQ(s["parentSpanId"], kParentHex);
  EXPECT_EQ(s["operationName"], "beautifyai.document.enhance");
  EXPECT_EQ(s["flags"], 1);
  EXPECT_EQ(s["startTime"], "1700000000123456");
  EXPECT_EQ(s["duration"], "42987");
  EXPECT_TRUE(s["references"].is_null());
  EXPECT_TRUE(s["logs"].is_null());
}

TEST(JaegerThriftEncoder, RootSpanHasZeroParentAndUnsampledSpanHasZeroFlags) {
  Fixture f;
  std::vector<std::unique_ptr<trace::SpanData>> spans;
  spans.push_back(f.span("root"));
  spans[0]->parent_span_id = SpanId();
  spans.push_back(f.span("unsampled"));
  spans[1]->context = SpanContext(trace_id_from(kTraceHex), span_id_from(kSpanHex), 0);
  const json batch = decode(spans);

  ASSERT_EQ(batch["spans"].size(), 2u);
  EXPECT_EQ(batch["spans"][0]["parentSpanId"], "0000000000000000");
  EXPECT_EQ(batch["spans"][0]["flags"], 1);
  EXPECT_EQ(batch["spans"][1]["operationName"], "unsampled");
  EXPECT_EQ(batch["spans"][1]["flags"], 0);
}

TEST(JaegerThriftEncoder, EncodesAttributesAsTypedTags) {
  Fixture f;
  std::vector<std::unique_ptr<trace::SpanData>> spans;
  spans.push_back(f.span("typed"));
  auto& a = spans[0]->attributes;
  a.set("user.id", std::string("u-17"));
  a.set("cache.hit", false);
  a.set("ai.tokens", std::int64_t{-9'007'199'254'740'993});  // not exact as a double
  a.set("ai.cost", 0.125);
  a.set("ai.models", std::vector<std::string>{"gemini", "gpt"});
  a.set("ai.sizes", std::vector<std::int64_t>{1, 2});
  a.set("note", std::string("ünïcode \"quoted\""));
  const json tags = decode(spans)["spans"][0]["tags"];

  const json user = tag(tags, "user.id");
  EXPECT_EQ(user["vType"], "STRING");
  EXPECT_EQ(user["vStr"], "u-17");
  const json hit = tag(tags, "cache.hit");
  EXPECT_EQ(hit["vType"], "BOOL");
  EXPECT_EQ(hit["vBool"], false);
  const json tokens = tag(tags, "ai.tokens");
  EXPECT_EQ(tokens["vType"], "LONG");
  EXPECT_EQ(tokens["vLong"], "-9007199254740993");
  const json cost = tag(tags, "ai.cost");
  EXPECT_EQ(cost["vType"], "DOUBLE");
  EXPECT_EQ(cost["vDouble"], 0.125);
  const json models = tag(tags, "ai.models");
  EXPECT_EQ(models["vType"], "STRING");
  EXPECT_EQ(models["vStr"], R"(["gemini","gpt"])");
  EXPECT_EQ(tag(tags, "ai.sizes")["vStr"], "[1,2]");
  EXPECT_EQ(tag(tags, "note")["vStr"], "ünïcode \"quoted\"");
  // Attributes come first, in their order.
  EXPECT_EQ(tags[0]["key"], "user.id");
  EXPECT_EQ(tags[6]["key"], "note");
}

TEST(JaegerThriftEncoder, AddsSpanKindTagExceptForInternalSpans) {
  Fixture f;
  const std::array<std::pair<trace::SpanKind, const char*>, 5> kinds{{
      {trace::SpanKind::kClient, "client"},
      {trace::SpanKind::kServer, "server"},
      {trace::SpanKind::kProducer, "producer"},
      {trace::SpanKind::kConsumer, "consumer"},
      {trace::SpanKind::kInternal, nullptr},
  }};
  std::vector<std::unique_ptr<trace::SpanData>> spans;
  for (const auto& [kind, name] : kinds) {
    spans.push_back(f.span(name ? name : "internal"));
    spans.back()->kind = kind;
  }
  const json batch = decode(spans);
  ASSERT_EQ(batch["spans"].size(), kinds.size());
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    const json& tags = batch["spans"][i]["tags"];
    if (kinds[i].second == nullptr) {
      EXPECT_FALSE(has_tag(tags, "span.kind")) << tags.dump();
    } else {
      const json k = tag(tags, "span.kind");
      EXPECT_EQ(k["vType"], "STRING");
      EXPECT_EQ(k["vStr"], kinds[i].second);
    }
  }
}

TEST(JaegerThriftEncoder, MapsStatusToOtelStatusTagsAndErrorTag) {
  Fixture f;
  std::vector<std::unique_ptr<trace::SpanData>> spans;
  spans.push_back(f.span("failed"));
  spans[0]->status = trace::StatusCode::kError;
  spans[0]->status_message = "provider timed out";
  spans.push_back(f.span("ok"));
  spans[1]->status = trace::StatusCode::kOk;
  spans.push_back(f.span("unset"));
  const json batch = decode(spans);

  const json& failed = batch["spans"][0]["tags"];
  EXPECT_EQ(tag(failed, "otel.status_code")["vStr"], "ERROR");
  EXPECT_EQ(tag(failed, "otel.status_description")["vStr"], "provider timed out");
  const json error = tag(failed, "error");
  EXPECT_EQ(error["vType"], "BOOL");
  EXPECT_EQ(error["vBool"], true);

  const json& ok = batch["spans"][1]["tags"];
  EXPECT_EQ(tag(ok, "otel.status_code")["vStr"], "OK");
  EXPECT_FALSE(has_tag(ok, "error"));
  EXPECT_FALSE(has_tag(ok, "otel.status_description"));

  const json& unset = batch["spans"][2]["tags"];
  EXPECT_FALSE(has_tag(unset, "otel.status_code"));
  EXPECT_FALSE(has_tag(unset, "error"));
}

TEST(JaegerThriftEncoder, AddsScopeAndDroppedCountTags) {
  Fixture f;
  std::vector<std::unique_ptr<trace::SpanData>> spans;
  spans.push_back(f.span("limited"));
  spans[0]->dropped_attributes = 3;
  spans[0]->dropped_links = 1;
  const json tags = decode(spans)["spans"][0]["tags"];
  EXPECT_EQ(tag(tags, "otel.scope.name")["vStr"], "beautifyai.enhance");
  EXPECT_EQ(tag(tags, "otel.scope.version")["vStr"], "1.2.3");
  const json dropped = tag(tags, "otel.dropped_attributes_count");
  EXPECT_EQ(dropped["vType"], "LONG");
  EXPECT_EQ(dropped["vLong"], "3");
  EXPECT_EQ(tag(tags, "otel.dropped_links_count")["vLong"], "1");
  EXPECT_FALSE(has_tag(tags, "otel.dropped_events_count"));
}

TEST(JaegerThriftEncoder, EncodesEventsAsLogsWithEventField) {
  Fixture f;
  std::vector<std::unique_ptr<trace::SpanData>> spans;
  spans.push_back(f.span("with events"));
  spans[0]->events.push_back(trace::Event{"cache.miss", 1'700'000'000'200'000'999ULL, {}, 0});
  spans[0]->events.push_back(trace::Event{
      "exception", 1'700'000'000'300'000'000ULL,
      Attributes{{"exception.type", "std::runtime_error"}, {"retry", std::int64_t{2}}}, 0});
  const json logs = decode(spans)["spans"][0]["logs"];

  ASSERT_EQ(logs.size(), 2u);
  EXPECT_EQ(logs[0]["timestamp"], "1700000000200000");
  ASSERT_EQ(logs[0]["fields"].size(), 1u);
  EXPECT_EQ(tag(logs[0]["fields"], "event")["vStr"], "cache.miss");

  EXPECT_EQ(logs[1]["timestamp"], "1700000000300000");
  ASSERT_EQ(logs[1]["fields"].size(), 3u);
  EXPECT_EQ(tag(logs[1]["fields"], "event")["vStr"], "exception");
  EXPECT_EQ(tag(logs[1]["fields"], "exception.type")["vStr"], "std::runtime_error");
  const json retry = tag(logs[1]["fields"], "retry");
  EXPECT_EQ(retry["vType"], "LONG");
  EXPECT_EQ(retry["vLong"], "2");
}

TEST(JaegerThriftEncoder, EncodesLinksAsFollowsFromReferences) {
  Fixture f;
  std::vector<std::unique_ptr<trace::SpanData>> spans;
  spans.push_back(f.span("linked"));
  const TraceId other_trace = trace_id_from("00000000000000010000000000000002");
  spans[0]->links.push_back(trace::Link{
      SpanContext(other_trace, span_id_from("fedcba9876543210"), SpanContext::kSampledFlag),
      {},
      0});
  spans[0]->links.push_back(trace::Link{
      SpanContext(trace_id_from(kTraceHex), span_id_from("0000000000000abc"), 0), {}, 0});
  const json s = decode(spans)["spans"][0];

  ASSERT_EQ(s["references"].size(), 2u);
  const json& r0 = s["references"][0];
  EXPECT_EQ(r0["refType"], "FOLLOWS_FROM");
  EXPECT_EQ(r0["traceIdHigh"], "0000000000000001");
  EXPECT_EQ(r0["traceIdLow"], "0000000000000002");
  EXPECT_EQ(r0["spanId"], "fedcba9876543210");
  const json& r1 = s["references"][1];
  EXPECT_EQ(r1["refType"], "FOLLOWS_FROM");
  EXPECT_EQ(r1["traceIdHigh"], "f1e2d3c4b5a69788");
  EXPECT_EQ(r1["traceIdLow"], "796a5b4c3d2e1f00");
  EXPECT_EQ(r1["spanId"], "0000000000000abc");
  // The parent is carried in parentSpanId, not as a reference.
  EXPECT_EQ(s["parentSpanId"], kParentHex);
}

TEST(JaegerThriftEncoder, BuildsProcessFromResource) {
  Fixture f;
  std::vector<std::unique_ptr<trace::SpanData>> spans;
  spans.push_back(f.span("any"));
  const json process = decode(spans)["process"];

  EXPECT_EQ(process["serviceName"], "beautifyai");
  ASSERT_EQ(process["tags"].size(), 2u) << process.dump();
  EXPECT_FALSE(has_tag(process["tags"], "service.name"));
  EXPECT_EQ(tag(process["tags"], "service.version")["vStr"], "0.1.0");
  const json pid = tag(process["tags"], "process.pid");
  EXPECT_EQ(pid["vType"], "LONG");
  EXPECT_EQ(pid["vLong"], "4242");
}

TEST(JaegerThriftEncoder, SplitsSpansOfDifferentResourcesIntoBatches) {
  Fixture f;
  Resource other(Attributes{{"service.name", "worker"}});
  auto other_scope = std::make_shared<const trace::InstrumentationScope>(
      trace::InstrumentationScope{"jobs", "", &other});
  std::vector<std::unique_ptr<trace::SpanData>> spans;
  spans.push_back(f.span("a"));
  spans.push_back(f.span("b"));
  spans.back()->scope = other_scope;
  spans.push_back(f.span("c"));
  spans.push_back(f.span("orphan"));
  spans.back()->scope = nullptr;

  const std::vector<JaegerBatch> batches = encode_jaeger_batches(spans);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0].span_count, 2u);
  EXPECT_EQ(batches[1].span_count, 1u);
  EXPECT_EQ(batches[2].span_count, 1u);

  const json first = lumen::testing::decode_jaeger_batch(batches[0].body);
  EXPECT_EQ(first["process"]["serviceName"], "beautifyai");
  ASSERT_EQ(first["spans"].size(), 2u);
  EXPECT_EQ(first["spans"][0]["operationName"], "a");
  EXPECT_EQ(first["spans"][1]["operationName"], "c");

  const json second = lumen::testing::decode_jaeger_batch(batches[1].body);
  EXPECT_EQ(second["process"]["serviceName"], "worker");
  EXPECT_TRUE(second["process"]["tags"].is_null());
  EXPECT_EQ(second["spans"][0]["operationName"], "b");
  EXPECT_EQ(tag(second["spans"][0]["tags"], "otel.scope.name")["vStr"], "jobs");
  EXPECT_FALSE(has_tag(second["spans"][0]["tags"], "otel.scope.version"));

  const json third = lumen::testing::decode_jaeger_batch(batches[2].body);
  EXPECT_EQ(third["process"]["serviceName"], "unknown_service");
  EXPECT_EQ(third["spans"][0]["operationName"], "orphan");
}

TEST(JaegerThriftEncoder, EmptyBatchEncodesNoBatches) {
  std::vector<std::unique_ptr<trace::SpanData>> spans;
  EXPECT_TRUE(encode_jaeger_batches(spans).empty());
}

TEST(JaegerDecoder, RejectsATruncatedPayload) {
  Fixture f;
  std::vector<std::unique_ptr<trace::SpanData>> spans;
  spans.push_back(f.span("x"));
  std::string body = encode_jaeger_batches(spans)[0].body;
  body.resize(body.size() - 3);
  // Keeps the decoder honest: a broken encoding would not pass for a good one.
  EXPECT_THROW((void)lumen::testing::decode_jaeger_batch(body), std::runtime_error);
}

}  // namespace
}  // namespace lumen::exporters::detail
