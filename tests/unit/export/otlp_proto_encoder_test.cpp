#include "export/otlp_proto_encoder.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "byte_string.hpp"
#include "lumen/trace/batch_span_processor.hpp"
#include "lumen/trace/internal/span_record.hpp"
#include "lumen/trace/tracer_provider.hpp"

namespace lumen::exporters::detail {
namespace {

std::string varint_bytes(std::uint64_t v) {
  std::string out;
  ProtoWriter(out).varint(v);
  return out;
}

TEST(ProtoWriter, EncodesVarintsLittleEndianSevenBitsAtATime) {
  EXPECT_EQ(varint_bytes(0), bytes({0x00}));
  EXPECT_EQ(varint_bytes(1), bytes({0x01}));
  EXPECT_EQ(varint_bytes(127), bytes({0x7F}));
  EXPECT_EQ(varint_bytes(128), bytes({0x80, 0x01}));
  EXPECT_EQ(varint_bytes(300), bytes({0xAC, 0x02}));
  EXPECT_EQ(varint_bytes(16384), bytes({0x80, 0x80, 0x01}));
  EXPECT_EQ(varint_bytes(~0ULL),
            bytes({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}));
  EXPECT_EQ(varint_size(0), 1U);
  EXPECT_EQ(varint_size(127), 1U);
  EXPECT_EQ(varint_size(128), 2U);
  EXPECT_EQ(varint_size(~0ULL), 10U);
}

TEST(ProtoWriter, WritesTagAndVarintField) {
  std::string out;
  ProtoWriter(out).varint_field(1, 150);  // the protobuf documentation's own example
  EXPECT_EQ(out, bytes({0x08, 0x96, 0x01}));
}

TEST(ProtoWriter, WritesNegativeInt64AsTenByteTwosComplementVarint) {
  std::string out;
  ProtoWriter(out).int64_field(3, -1);
  EXPECT_EQ(out, bytes({0x18, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}));
}

TEST(ProtoWriter, WritesFixedWidthFieldsLittleEndian) {
  std::string out;
  ProtoWriter w(out);
  w.fixed64_field(7, 0x0102030405060708ULL);
  EXPECT_EQ(out, bytes({0x39, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01}));
  out.clear();
  w.fixed32_field(16, 0x101);  // field 16 needs a two-byte tag: (16 << 3) | 5 = 133
  EXPECT_EQ(out, bytes({0x85, 0x01, 0x01, 0x01, 0x00, 0x00}));
  out.clear();
  w.double_field(4, 1.0);
  EXPECT_EQ(out, bytes({0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF0, 0x3F}));
  out.clear();
  w.bool_field(2, true);
  EXPECT_EQ(out, bytes({0x10, 0x01}));
}

TEST(ProtoWriter, WritesLengthDelimitedStringsAndBytes) {
  std::string out;
  ProtoWriter w(out);
  w.string_field(2, "testing");
  EXPECT_EQ(out, bytes({0x12, 0x07}) + "testing");
  out.clear();
  const std::uint8_t id[] = {0xDE, 0xAD, 0x00, 0xEF};
  w.bytes_field(1, id, sizeof id);
  EXPECT_EQ(out, bytes({0x0A, 0x04, 0xDE, 0xAD, 0x00, 0xEF}));
}

TEST(ProtoWriter, PatchesTheLengthOfAShortNestedMessage) {
  std::string out;
  ProtoWriter w(out);
  const std::size_t m = w.begin_message(3);
  w.varint_field(1, 150);
  w.end_message(m);
  EXPECT_EQ(out, bytes({0x1A, 0x03, 0x08, 0x96, 0x01}));
}

TEST(ProtoWriter, WidensTheLengthOfNestedMessagesLongerThan127Bytes) {
  const std::string text(200, 'x');
  std::string out;
  ProtoWriter w(out);
  const std::size_t outer = w.begin_message(1);
  const std::size_t inner = w.begin_message(2);
  w.string_field(1, text);  // 0A C8 01 + 200 bytes = 203 bytes
  w.end_message(inner);     // 12 CB 01 + 203 = 206 bytes
  w.end_message(outer);     // 0A CE 01 + 206
  const std::string expected = bytes({0x0A, 0xCE, 0x01, 0x12, 0xCB, 0x01, 0x0A, 0xC8, 0x01}) + text;
  EXPECT_EQ(out, expected);
}

TEST(ProtoWriter, NestsEmptyMessagesAsZeroLength) {
  std::string out;
  ProtoWriter w(out);
  const std::size_t m = w.begin_message(5);
  w.end_message(m);
  EXPECT_EQ(out, bytes({0x2A, 0x00}));
}

TEST(ProtoWriter, ReplacesInvalidUtf8InStringsButKeepsValidText) {
  std::string out;
  ProtoWriter w(out);
  w.string_field(1,
                 "a\xFF"
                 "b");
  EXPECT_EQ(out, bytes({0x0A, 0x05}) +
                     "a\xEF\xBF\xBD"
                     "b");
  out.clear();
  w.string_field(1, "caf\xC3\xA9 \xF0\x9F\x93\x84");  // "café 📄": valid, untouched
  EXPECT_EQ(out, bytes({0x0A, 0x0A}) + "caf\xC3\xA9 \xF0\x9F\x93\x84");

  std::string clean;
  append_valid_utf8("\xC0\x80", clean);  // overlong NUL
  EXPECT_EQ(clean, "\xEF\xBF\xBD\xEF\xBF\xBD");
  clean.clear();
  append_valid_utf8("\xED\xA0\x80", clean);  // a UTF-16 surrogate
  EXPECT_EQ(clean, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  clean.clear();
  append_valid_utf8("ok\xE2\x82", clean);  // truncated at the end
  EXPECT_EQ(clean, "ok\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(OtlpProtoEncoder, EncodesAnEmptyBatchAsAnEmptyRequest) {
  std::string out = "stale";
  encode_trace_request(lumen::trace::SpanBatch{}, out);
  EXPECT_TRUE(out.empty());
}

TEST(OtlpProtoEncoder, EncodesAMinimalSpanToTheExpectedBytes) {
  std::array<std::uint8_t, 16> trace_bytes{};
  for (std::size_t i = 0; i < 16; ++i) trace_bytes[i] = static_cast<std::uint8_t>(i + 1);
  std::array<std::uint8_t, 8> span_bytes{};
  for (std::size_t i = 0; i < 8; ++i) span_bytes[i] = static_cast<std::uint8_t>(0xA0 + i);
  auto span = std::make_unique<trace::SpanData>();
  span->context = SpanContext(TraceId(trace_bytes), SpanId(span_bytes), SpanContext::kSampledFlag);
  span->name = "a";
  span->kind = trace::SpanKind::kInternal;
  span->start_ns = 1;
  span->end_ns = 2;
  std::vector<std::unique_ptr<trace::SpanData>> batch;
  batch.push_back(std::move(span));

  std::string out;
  encode_trace_request(batch, out);

  std::string span_body = bytes({0x0A, 0x10});  // trace_id = 1
  span_body.append(trace_bytes.begin(), trace_bytes.end());
  span_body += bytes({0x12, 0x08});  // span_id = 2
  span_body.append(span_bytes.begin(), span_bytes.end());
  span_body += bytes({0x2A, 0x01, 'a'});                     // name = 5
  span_body += bytes({0x30, 0x01});                          // kind = 6 (INTERNAL)
  span_body += bytes({0x39, 0x01, 0, 0, 0, 0, 0, 0, 0});     // start = 7
  span_body += bytes({0x41, 0x02, 0, 0, 0, 0, 0, 0, 0});     // end = 8
  span_body += bytes({0x85, 0x01, 0x01, 0x01, 0x00, 0x00});  // flags = 16
  ASSERT_EQ(span_body.size(), 57U);
  // No scope and no resource: ScopeSpans{spans=2}, ResourceSpans{scope_spans=2}, request{1}.
  const std::string expected = bytes({0x0A, 61, 0x12, 59, 0x12, 57}) + span_body;
  EXPECT_EQ(out, expected);
}

TEST(OtlpProtoEncoder, MarksARemoteParentInTheSpanFlags) {
  std::array<std::uint8_t, 16> t{};
  t[0] = 1;
  std::array<std::uint8_t, 8> s{};
  s[0] = 2;
  std::array<std::uint8_t, 8> p{};
  p[0] = 3;
  auto span = std::make_unique<trace::SpanData>();
  span->context = SpanContext(TraceId(t), SpanId(s), 0);
  span->parent_span_id = SpanId(p);
  span->parent_is_remote = true;
  std::vector<std::unique_ptr<trace::SpanData>> batch;
  batch.push_back(std::move(span));
  std::string out;
  encode_trace_request(batch, out);
  // The span ends with its flags: not sampled (0x00), HAS_IS_REMOTE (0x100) and IS_REMOTE (0x200).
  EXPECT_EQ(out.substr(out.size() - 6), bytes({0x85, 0x01, 0x00, 0x03, 0x00, 0x00}));
  // parent_span_id = 4 is present.
  EXPECT_NE(out.find(bytes({0x22, 0x08, 0x03, 0, 0, 0, 0, 0, 0, 0})), std::string::npos);
}

// Encodes each batch of records twice: the records as they are, and the same spans copied into
// SpanData, whose encoding an independent decoder checks (tests/integration/otlp_export_test.cpp).
class EncodingBothWays final : public trace::SpanExporter {
 public:
  trace::ExportResult export_spans(trace::SpanBatch batch, Deadline) noexcept override {
    span_data += batch.size();
    return trace::ExportResult::kSuccess;
  }
  bool reads_records() const noexcept override { return true; }
  trace::ExportResult export_records(trace::OwnedSpanBatch spans, trace::RecordBatch records,
                                     Deadline) noexcept override {
    span_data += spans.size();
    std::vector<std::unique_ptr<trace::SpanData>> copies;
    for (const trace::detail::SpanRecord* record : records) {
      copies.push_back(std::make_unique<trace::SpanData>(trace::detail::to_span_data(*record)));
    }
    encode_trace_request(MixedSpanBatch{{}, records}, from_records);
    encode_trace_request(trace::SpanBatch(copies), from_copies);
    records_read += records.size();
    return trace::ExportResult::kSuccess;
  }
  std::string from_records;
  std::string from_copies;
  std::size_t records_read = 0;
  std::size_t span_data = 0;
};

TEST(OtlpProtoEncoder, ARecordIsEncodedAsTheSameSpanInASpanData) {
  auto exporter = std::make_shared<EncodingBothWays>();
  {
    trace::TracerProvider provider(
        {.processor = std::make_unique<trace::BatchSpanProcessor>(exporter),
         .limits = {.attribute_count = 5}});
    trace::Tracer& tracer = provider.tracer("records", "1.0");
    // Every kind of value, text that is not UTF-8, and one attribute over the count limit.
    trace::Span root = tracer.start("POST /v1/analyze", {.kind = trace::SpanKind::kServer});
    root.set("user.tier", "pro").set("cache.hit", true).set("ai.tokens", std::int64_t{-812});
    root.set("ai.cost", 0.0025).set("note", "bad \xFF byte").set("over.limit", "dropped");
    root.set_status(trace::StatusCode::kOk);
    root.end();
    // A remote parent with a trace state, and an error without a description.
    const Context remote = Context().with_span(
        SpanContext(*TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736"),
                    *SpanId::from_hex("00f067aa0ba902b7"), SpanContext::kSampledFlag,
                    /*remote=*/true, std::make_shared<const std::string>("vendor=abc")));
    trace::Span child =
        tracer.start("ai.provider.analyze",
                     {.kind = trace::SpanKind::kClient, .parent = remote, .start_ns = 1'000});
    child.set("empty", "").set_status(trace::StatusCode::kError);
    child.end(5'000);
    ASSERT_TRUE(provider.force_flush(std::chrono::seconds(10)));
  }
  EXPECT_EQ(exporter->records_read, 2u);
  EXPECT_EQ(exporter->span_data, 0u);
  EXPECT_FALSE(exporter->from_records.empty());
  EXPECT_EQ(exporter->from_records, exporter->from_copies);
}

}  // namespace
}  // namespace lumen::exporters::detail
