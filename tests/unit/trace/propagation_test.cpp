#include "lumen/trace/propagation.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/id_generator.hpp"
#include "lumen/trace/tracer_provider.hpp"
#include "traced.hpp"

namespace lumen::propagation {
namespace {

using Headers = std::map<std::string, std::string>;

constexpr std::string_view kTraceHex = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr std::string_view kSpanHex = "00f067aa0ba902b7";
const std::string kValid = "00-" + std::string(kTraceHex) + "-" + std::string(kSpanHex) + "-01";

std::string tp(std::string_view version, std::string_view trace, std::string_view span,
               std::string_view flags) {
  return std::string(version) + "-" + std::string(trace) + "-" + std::string(span) + "-" +
         std::string(flags);
}

Context extract_traceparent(const std::string& header) {
  return extract(Headers{{"traceparent", header}});
}

// ---------------------------------------------------------------------------------------------
// traceparent: a table of headers and the exact outcome of each.

struct Row {
  const char* what;
  std::string header;
  bool accepted;
  std::uint8_t flags = 0;  // checked when accepted
};

std::vector<Row> traceparent_table() {
  const std::string t(kTraceHex);
  const std::string s(kSpanHex);
  std::string upper_trace = t;
  upper_trace[0] = 'B';  // "4Bf9..." differs from a valid id only by case
  std::string upper_span = s;
  upper_span[2] = 'F';
  return {
      {"valid sampled", tp("00", t, s, "01"), true, 0x01},
      {"valid not sampled", tp("00", t, s, "00"), true, 0x00},
      {"random flag", tp("00", t, s, "02"), true, 0x02},
      {"sampled and random flags", tp("00", t, s, "03"), true, 0x03},
      {"version 00 drops undefined flag bits", tp("00", t, s, "09"), true, 0x01},
      {"future version, exactly 55 chars", tp("01", t, s, "01"), true, 0x01},
      {"future version with more fields", tp("cc", t, s, "01") + "-what-the-future-holds", true,
       0x01},
      {"future version keeps only the sampled and random flags", tp("fe", t, s, "ff") + "-x", true,
       0x03},
      {"leading spaces are optional whitespace", "  " + tp("00", t, s, "01"), true, 0x01},
      {"trailing tab is optional whitespace", tp("00", t, s, "01") + "\t", true, 0x01},
      {"empty", "", false},
      {"whitespace only", "   \t ", false},
      {"junk", "hello, world", false},
      {"version ff is forbidden", tp("ff", t, s, "01"), false},
      {"version 00 with extra data", tp("00", t, s, "01") + "-extra", false},
      {"version 00 with one extra char", tp("00", t, s, "01") + "0", false},
      {"future version, extra data without a dash", tp("01", t, s, "01") + "x-extra", false},
      {"future version shorter than 55", tp("01", t, s, "1"), false},
      {"upper-case trace id", tp("00", upper_trace, s, "01"), false},
      {"upper-case span id", tp("00", t, upper_span, "01"), false},
      {"upper-case flags", tp("00", t, s, "0A"), false},
      {"upper-case version", tp("0A", t, s, "01"), false},
      {"all-zero trace id", tp("00", std::string(32, '0'), s, "01"), false},
      {"all-zero parent id", tp("00", t, std::string(16, '0'), "01"), false},
      {"trace id too short", tp("00", t.substr(1), s, "01"), false},
      {"trace id too long", tp("00", t + "a", s, "01"), false},
      {"span id too short", tp("00", t, s.substr(1), "01"), false},
      {"span id too long", tp("00", t, s + "a", "01"), false},
      {"flags one digit", tp("00", t, s, "1"), false},
      {"version one digit", tp("0", t, s, "01"), false},
      {"non-hex in trace id", tp("00", t.substr(0, 31) + "g", s, "01"), false},
      {"non-hex in span id", tp("00", t, "z" + s.substr(1), "01"), false},
      {"non-hex in flags", tp("00", t, s, "0x"), false},
      {"non-hex in version", tp("0g", t, s, "01"), false},
      {"missing dashes", "00" + t + s + "01", false},
      {"underscores instead of dashes", "00_" + t + "_" + s + "_01", false},
      {"space inside", "00- " + t.substr(1) + "-" + s + "-01", false},
      {"trailing newline is not optional whitespace", tp("00", t, s, "01") + "\n", false},
      {"NUL byte inside", tp("00", t.substr(0, 16) + std::string(1, '\0') + t.substr(17), s, "01"),
       false},
      {"fields in the wrong order", tp("00", s, t, "01"), false},
      {"dash in place of a hex digit", tp("00", t.substr(0, 31) + "-", s, "01"), false},
  };
}

TEST(TraceParent, TableOfHeadersHasExactOutcomes) {
  const auto table = traceparent_table();
  ASSERT_GE(table.size(), 25u);
  for (const Row& row : table) {
    SCOPED_TRACE(row.what);
    const std::optional<SpanContext> parsed = parse_traceparent(row.header);
    const Context extracted = extract_traceparent(row.header);
    EXPECT_EQ(parsed.has_value(), row.accepted);
    EXPECT_EQ(extracted.span().is_valid(), row.accepted);
    if (!row.accepted) continue;
    ASSERT_TRUE(parsed.has_value());
    const SpanContext& span = extracted.span();
    EXPECT_EQ(span.trace_id().to_hex(), kTraceHex);
    EXPECT_EQ(span.span_id().to_hex(), kSpanHex);
    EXPECT_EQ(span.flags(), row.flags);
    EXPECT_TRUE(span.is_remote());
    EXPECT_TRUE(span.trace_state().empty());
  }
}

TEST(TraceParent, FormatWritesVersion00LowerCaseHexAndFlags) {
  const auto trace = *TraceId::from_hex(kTraceHex);
  const auto span = *SpanId::from_hex(kSpanHex);
  EXPECT_EQ(format_traceparent(SpanContext(trace, span, 0x01)), kValid);
  EXPECT_EQ(format_traceparent(SpanContext(trace, span, 0x00)),
            "00-" + std::string(kTraceHex) + "-" + std::string(kSpanHex) + "-00");
  EXPECT_EQ(format_traceparent(SpanContext(trace, span, 0x03)).substr(53), "03");
  EXPECT_EQ(format_traceparent(SpanContext(trace, span, 0xab)).substr(53), "03");  // undefined bits
  EXPECT_EQ(format_traceparent(SpanContext()), "");
}

TEST(TraceParent, MissingHeaderGivesNoSpan) {
  EXPECT_FALSE(extract(Headers{}).span().is_valid());
  EXPECT_FALSE(extract(Headers{{"tracestate", "a=b"}}).span().is_valid());
}

TEST(TraceParent, InvalidHeaderDropsTheBaseSpanSoANewTraceStarts) {
  const Context base = Context().with_span(
      SpanContext(IdGenerator::trace_id(), IdGenerator::span_id(), SpanContext::kSampledFlag));
  const Context out = extract(Headers{{"traceparent", "garbage"}}, base);
  EXPECT_FALSE(out.span().is_valid());
}

// ---------------------------------------------------------------------------------------------
// Round trips and carriers.

TEST(Propagation, InjectThenExtractRoundTripsTheSpanContext) {
  for (const std::uint8_t flags : {std::uint8_t{0}, std::uint8_t{1}}) {
    const SpanContext original(IdGenerator::trace_id(), IdGenerator::span_id(), flags, false,
                               std::make_shared<const std::string>("vendor=abc,other@sys=1"));
    Headers headers;
    inject(Context().with_span(original), headers);
    ASSERT_EQ(headers.size(), 2u);
    EXPECT_EQ(headers["traceparent"], "00-" + original.trace_id().to_hex() + "-" +
                                          original.span_id().to_hex() + (flags ? "-01" : "-00"));
    EXPECT_EQ(headers["tracestate"], "vendor=abc,other@sys=1");

    const SpanContext back = extract(headers).span();
    EXPECT_EQ(back.trace_id(), original.trace_id());
    EXPECT_EQ(back.span_id(), original.span_id());
    EXPECT_EQ(back.flags(), flags);
    EXPECT_TRUE(back.is_remote());
    EXPECT_EQ(back.trace_state(), "vendor=abc,other@sys=1");
  }
}

TEST(Propagation, InjectWritesNothingWithoutASpanOrBaggage) {
  Headers headers;
  inject(Context(), headers);
  EXPECT_TRUE(headers.empty());
}

TEST(Propagation, InjectWithoutTraceStateWritesNoTraceStateHeader) {
  Headers headers;
  inject(Context().with_span(SpanContext(IdGenerator::trace_id(), IdGenerator::span_id(), 1)),
         headers);
  EXPECT_EQ(headers.count("traceparent"), 1u);
  EXPECT_EQ(headers.count("tracestate"), 0u);
}

TEST(Propagation, HeaderNamesMatchCaseInsensitivelyInEveryContainer) {
  const std::string expected = std::string(kTraceHex);
  EXPECT_EQ(extract(std::map<std::string, std::string>{{"TraceParent", kValid}})
                .span()
                .trace_id()
                .to_hex(),
            expected);
  EXPECT_EQ(extract(std::unordered_map<std::string, std::string>{{"TRACEPARENT", kValid}})
                .span()
                .trace_id()
                .to_hex(),
            expected);
  EXPECT_EQ(
      extract(std::vector<std::pair<std::string, std::string>>{{"x", "y"}, {"traceParent", kValid}})
          .span()
          .trace_id()
          .to_hex(),
      expected);
}

TEST(Propagation, InjectReplacesAnExistingHeaderWhateverItsCase) {
  const Context ctx = Context().with_span(
      SpanContext(*TraceId::from_hex(kTraceHex), *SpanId::from_hex(kSpanHex), 1));
  std::vector<std::pair<std::string, std::string>> list{
      {"Accept", "*/*"}, {"TraceParent", "old"}, {"traceparent", "older"}};
  inject(ctx, list);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].first, "Accept");
  EXPECT_EQ(list[1].first, "traceparent");
  EXPECT_EQ(list[1].second, kValid);

  std::map<std::string, std::string> map{{"TRACEPARENT", "old"}};
  inject(ctx, map);
  ASSERT_EQ(map.size(), 1u);
  EXPECT_EQ(map.at("traceparent"), kValid);

  std::unordered_map<std::string, std::string> umap{{"Traceparent", "old"}, {"Accept", "*/*"}};
  inject(ctx, umap);
  ASSERT_EQ(umap.size(), 2u);
  EXPECT_EQ(umap.at("traceparent"), kValid);
}

// A carrier written against the interface, as a framework's request type would be.
class ThrowingCarrier final : public TextMapGetter, public TextMapSetter {
 public:
  std::optional<std::string_view> get(std::string_view) const override {
    throw std::runtime_error("carrier broke");
  }
  void set(std::string_view, std::string_view) override {
    throw std::runtime_error("carrier broke");
  }
};

TEST(Propagation, ACarrierThatThrowsNeverThrowsThroughInjectOrExtract) {
  ThrowingCarrier carrier;
  const Context ctx =
      Context().with_span(SpanContext(IdGenerator::trace_id(), IdGenerator::span_id(), 1));
  EXPECT_NO_THROW(inject(ctx, static_cast<TextMapSetter&>(carrier)));
  Context out;
  EXPECT_NO_THROW(out = extract(static_cast<const TextMapGetter&>(carrier), ctx));
  EXPECT_FALSE(out.span().is_valid());
}

// ---------------------------------------------------------------------------------------------
// tracestate

std::string tracestate_after_extract(const std::string& tracestate) {
  return extract(Headers{{"traceparent", kValid}, {"tracestate", tracestate}}).span().trace_state();
}

std::string members(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out += ',';
    out += 'k';
    out += std::to_string(i);
    out += "=v";
  }
  return out;
}

TEST(TraceState, ValidListIsKept) {
  for (const std::string& valid : {
           std::string("congo=t61rcWkgMzE"),
           std::string("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"),
           std::string("tenant1@vendor=x,0tenant@sys=y"),  // multi-tenant keys
           std::string("k_-*/9=v a!~"),                    // key and value punctuation, inner space
           "k=" + std::string(256, 'v'),                   // the longest value
           std::string(1, 'k') + std::string(255, 'x') + "=v",  // the longest simple key
           std::string(241, 't') + "@" + std::string(14, 's') + "=v",
           members(32),
       }) {
    SCOPED_TRACE(valid.substr(0, 60));
    EXPECT_TRUE(is_valid_tracestate(valid));
    EXPECT_EQ(tracestate_after_extract(valid), valid);
  }
}

TEST(TraceState, EmptyMembersAndWhitespaceAreAllowedAndLeftOut) {
  EXPECT_EQ(tracestate_after_extract("  a=1,b=2\t"), "a=1,b=2");
  EXPECT_TRUE(is_valid_tracestate("a=1,,b=2"));
  EXPECT_TRUE(is_valid_tracestate("a=1 ,\tb=2"));
  EXPECT_EQ(tracestate_after_extract("a=1 ,\t,b=2"), "a=1,b=2");
}

TEST(TraceState, InvalidListIsDroppedButTheTraceParentIsKept) {
  for (const std::string& invalid : {
           std::string("Upper=1"),                              // key must be lower case
           std::string("a=b=c"),                                // '=' in a value
           std::string("a="),                                   // empty value
           std::string("a=1,novalue"),                          // member without '='
           std::string("a=caf\xc3\xa9"),                        // non-ASCII value
           std::string("a=x\x01y"),                             // control character
           "k=" + std::string(257, 'v'),                        // value too long
           std::string(1, 'k') + std::string(256, 'x') + "=v",  // key too long
           std::string("@sys=v"),  // a key starts with a letter or digit
           std::string("_k=v"),
       }) {
    SCOPED_TRACE(invalid.substr(0, 60));
    EXPECT_FALSE(is_valid_tracestate(invalid));
    const Context ctx = extract(Headers{{"traceparent", kValid}, {"tracestate", invalid}});
    EXPECT_TRUE(ctx.span().is_valid());
    EXPECT_EQ(ctx.span().trace_state(), "");
  }
}

TEST(TraceState, MoreThan32MembersOrARepeatedKeyIsNotAValidList) {
  EXPECT_FALSE(is_valid_tracestate(members(33)));
  EXPECT_FALSE(is_valid_tracestate("a=1,a=2"));
}

TEST(TraceState, IgnoredWithoutAValidTraceParent) {
  const Context ctx = extract(Headers{{"traceparent", "00-bad"}, {"tracestate", "a=1"}});
  EXPECT_FALSE(ctx.span().is_valid());
  EXPECT_EQ(ctx.span().trace_state(), "");
}

// ---------------------------------------------------------------------------------------------
// Baggage

TEST(BaggageHeader, RoundTripsValuesThatNeedPercentEncoding) {
  const Baggage bag = Baggage{}
                          .with("user.tier", "pro")
                          .with("note", "a b,c;d\\e\"f%g=h")
                          .with("city", "Z\xc3\xbcrich")  // UTF-8
                          .with("empty", "")
                          .with("with.meta", "1", "ttl=30;secret");
  Headers headers;
  inject(Context().with_baggage(bag), headers);
  ASSERT_EQ(headers.size(), 1u);
  EXPECT_EQ(headers["baggage"],
            "user.tier=pro,note=a%20b%2Cc%3Bd%5Ce%22f%25g=h,city=Z%C3%BCrich,empty=,"
            "with.meta=1;ttl=30;secret");
  const Baggage back = extract(headers).baggage();
  EXPECT_EQ(back, bag);
}

TEST(BaggageHeader, ExtractTrimsWhitespaceDecodesAndKeepsProperties) {
  const Baggage bag =
      parse_baggage(" key1 = value1 ; p1 ; p2 = v2 ,key2=va%20lue%2c2,key3=%E2%9C%93");
  ASSERT_EQ(bag.entries().size(), 3u);
  EXPECT_EQ(bag.entries()[0], (Baggage::Entry{"key1", "value1", "p1;p2=v2"}));
  EXPECT_EQ(bag.get("key2"), "va lue,2");
  EXPECT_EQ(bag.get("key3"), "\xe2\x9c\x93");
}

TEST(BaggageHeader, InvalidMembersAreSkipped) {
  const Baggage bag = parse_baggage(
      "good=1,noequals,=novalue,bad key=2,quoted=\"x\",back=a\\b,ok2=2,prop=1;bad prop=,,  "
      ",last=3");
  ASSERT_EQ(bag.entries().size(), 3u);
  EXPECT_EQ(bag.get("good"), "1");
  EXPECT_EQ(bag.get("ok2"), "2");
  EXPECT_EQ(bag.get("last"), "3");
}

TEST(BaggageHeader, InvalidEscapesStayLiteralAndInvalidUtf8BecomesReplacementCharacter) {
  const Baggage bag = parse_baggage("a=100%,b=%zz,c=%FF,d=%E2%9C,e=%C3%A9");
  EXPECT_EQ(bag.get("a"), "100%");
  EXPECT_EQ(bag.get("b"), "%zz");
  EXPECT_EQ(bag.get("c"), "\xEF\xBF\xBD");
  EXPECT_EQ(bag.get("d"), "\xEF\xBF\xBD");  // a truncated sequence is one replacement
  EXPECT_EQ(bag.get("e"), "\xC3\xA9");
}

TEST(BaggageHeader, LaterDuplicateKeyWins) {
  EXPECT_EQ(parse_baggage("k=1,k=2").get("k"), "2");
}

TEST(BaggageHeader, ExtractKeepsAtMost180Members) {
  std::string header;
  for (int i = 0; i < 200; ++i) {
    header += i ? ",k" : "k";
    header += std::to_string(i);
    header += "=v";
  }
  const Baggage bag = parse_baggage(header);
  EXPECT_EQ(bag.entries().size(), kMaxBaggageMembers);
  EXPECT_TRUE(bag.get("k179").has_value());
  EXPECT_FALSE(bag.get("k180").has_value());
}

TEST(BaggageHeader, ExtractDropsTheMemberThatCrossesByte8192) {
  const std::string first = "a=" + std::string(8000, 'x');  // 8002 bytes
  const std::string fits = "b=" + std::string(187, 'y');    // ends at byte 8192 exactly
  const std::string over = "c=z";
  const Baggage bag = parse_baggage(first + "," + fits + "," + over);
  EXPECT_EQ(bag.entries().size(), 2u);
  EXPECT_TRUE(bag.get("b").has_value());
  EXPECT_FALSE(bag.get("c").has_value());
}

TEST(BaggageHeader, InjectWritesAtMost180Members) {
  Baggage bag;
  for (int i = 0; i < 200; ++i) {
    std::string key = "k";
    key += std::to_string(i);
    bag = bag.with(key, "v");
  }
  const std::string header = format_baggage(bag);
  EXPECT_EQ(static_cast<std::size_t>(std::count(header.begin(), header.end(), ',')) + 1,
            kMaxBaggageMembers);
  EXPECT_EQ(parse_baggage(header).entries().size(), kMaxBaggageMembers);
}

TEST(BaggageHeader, InjectSkipsEntriesThatWouldExceed8192Bytes) {
  const Baggage bag = Baggage{}
                          .with("a", std::string(5000, 'x'))
                          .with("too.big", std::string(4000, 'y'))
                          .with("small", "1");
  const std::string header = format_baggage(bag);
  EXPECT_LE(header.size(), kMaxBaggageBytes);
  const Baggage back = parse_baggage(header);
  EXPECT_TRUE(back.get("a").has_value());
  EXPECT_FALSE(back.get("too.big").has_value());
  EXPECT_EQ(back.get("small"), "1");
}

TEST(BaggageHeader, PercentEncodingCountsTowardTheLimit) {
  // 3000 spaces encode to 9000 bytes.
  const std::string header = format_baggage(Baggage{}.with("spaces", std::string(3000, ' ')));
  EXPECT_EQ(header, "");
}

TEST(BaggageHeader, InjectSkipsInvalidKeysAndInvalidMetadata) {
  const Baggage bag = Baggage{}
                          .with("bad key", "1")
                          .with("", "2")
                          .with("ok", "3", "not valid;;")
                          .with("k", "4", "p=1");
  EXPECT_EQ(format_baggage(bag), "ok=3,k=4;p=1");
}

TEST(BaggageHeader, ExtractWithoutHeaderKeepsBaseBaggageAndAHeaderReplacesIt) {
  const Context base = Context().with_baggage(Baggage{}.with("from", "base"));
  EXPECT_EQ(extract(Headers{}, base).baggage().get("from"), "base");
  const Context replaced = extract(Headers{{"baggage", "from=header"}}, base);
  EXPECT_EQ(replaced.baggage().get("from"), "header");
  EXPECT_EQ(replaced.baggage().entries().size(), 1u);
}

TEST(BaggageHeader, TravelsWithoutASpan) {
  Headers headers;
  inject(Context().with_baggage(Baggage{}.with("user.id", "u-1")), headers);
  EXPECT_EQ(headers.count("traceparent"), 0u);
  EXPECT_EQ(extract(headers).baggage().get("user.id"), "u-1");
}

// ---------------------------------------------------------------------------------------------
// A server span under an extracted context.

TEST(Propagation, ChildOfExtractedContextContinuesTheRemoteTrace) {
  lumen::testing::Traced f;
  const Context remote = extract(Headers{{"traceparent", kValid}, {"tracestate", "congo=t61"}});
  {
    trace::Span server =
        f.tracer.start("GET /documents", {.kind = trace::SpanKind::kServer, .parent = remote});
    // The outgoing call made inside the server span carries the same trace and tracestate.
    Headers outgoing;
    inject(Context().with_span(server.context()), outgoing);
    EXPECT_EQ(outgoing["traceparent"].substr(0, 36), "00-" + std::string(kTraceHex) + "-");
    EXPECT_EQ(outgoing["traceparent"].substr(36, 16), server.context().span_id().to_hex());
    EXPECT_EQ(outgoing["tracestate"], "congo=t61");
  }
  const auto spans = f.memory->spans();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].context.trace_id().to_hex(), kTraceHex);
  EXPECT_EQ(spans[0].parent_span_id.to_hex(), kSpanHex);
  EXPECT_TRUE(spans[0].parent_is_remote);
  EXPECT_FALSE(spans[0].context.is_remote());
}

// The usage example at the top of propagation.hpp.
TEST(Propagation, HeaderUsageExampleWorks) {
  lumen::testing::Traced f;
  auto& tracer = f.tracer;
  std::map<std::string, std::string> request_headers;
  {
    auto client = tracer.start("client");
    auto scope = client.activate();
    // client
    std::map<std::string, std::string> headers;
    lumen::propagation::inject(lumen::Context::current(), headers);
    request_headers = headers;
  }
  request_headers["baggage"] = "userId=alice";
  std::map<std::string, std::string> outgoing_headers;
  {
    // server
    auto request_scope = lumen::propagation::extract(request_headers).activate();
    auto span = tracer.start("GET /documents", {.kind = lumen::trace::SpanKind::kServer});
    auto span_scope = span.activate();
    lumen::propagation::inject(lumen::Context::current(), outgoing_headers);
  }
  const auto spans = f.memory->spans();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[1].context.trace_id(), spans[0].context.trace_id());
  EXPECT_EQ(spans[1].parent_span_id, spans[0].context.span_id());
  EXPECT_TRUE(spans[1].parent_is_remote);
  // The call made inside the server span continues the trace below it, with the caller's baggage.
  EXPECT_EQ(outgoing_headers["traceparent"].substr(36, 16), spans[1].context.span_id().to_hex());
  EXPECT_EQ(outgoing_headers["baggage"], "userId=alice");
  EXPECT_TRUE(Context::current().baggage().empty());  // the scopes ended with the request
}

// Why the example activates the extracted context: a span started with it as `.parent` carries
// its span only, and activating that span leaves the baggage behind.
TEST(Propagation, ASpanStartedWithTheExtractedContextAsParentDoesNotCarryItsBaggage) {
  lumen::testing::Traced f;
  const Context remote = extract(Headers{{"traceparent", kValid}, {"baggage", "userId=alice"}});
  auto span = f.tracer.start("server", {.kind = trace::SpanKind::kServer, .parent = remote});
  auto scope = span.activate();
  EXPECT_TRUE(Context::current().baggage().empty());
}

TEST(Propagation, ExtractedContextMadeCurrentParentsSpansStartedInside) {
  lumen::testing::Traced f;
  {
    auto scope = extract(Headers{{"traceparent", kValid}}).activate();
    f.tracer.trace("handler", [] {});
  }
  const auto spans = f.memory->spans();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].context.trace_id().to_hex(), kTraceHex);
  EXPECT_EQ(spans[0].parent_span_id.to_hex(), kSpanHex);
  EXPECT_TRUE(spans[0].parent_is_remote);
}

TEST(Propagation, RemoteParentNotSampledIsFollowedByTheDefaultSampler) {
  lumen::testing::Traced f;
  const Context remote = extract(Headers{{"traceparent", tp("00", kTraceHex, kSpanHex, "00")}});
  trace::Span span = f.tracer.start("server", {.parent = remote});
  EXPECT_FALSE(span.is_recording());
  EXPECT_EQ(span.context().trace_id().to_hex(), kTraceHex);
  span.end();
  EXPECT_EQ(f.memory->size(), 0u);
}

TEST(Propagation, InvalidHeaderStartsANewRootTrace) {
  lumen::testing::Traced f;
  const Context remote =
      extract(Headers{{"traceparent", tp("00", std::string(32, '0'), kSpanHex, "01")}});
  f.tracer.start("server", {.parent = remote}).end();
  const auto spans = f.memory->spans();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_TRUE(spans[0].context.trace_id().is_valid());
  EXPECT_NE(spans[0].context.trace_id().to_hex(), std::string(32, '0'));
  EXPECT_FALSE(spans[0].parent_span_id.is_valid());
  EXPECT_FALSE(spans[0].parent_is_remote);
}

// ---------------------------------------------------------------------------------------------
// Fuzz: random bytes and mutations of a valid header. extract is noexcept, so an exception would
// terminate the test binary; each accepted header must come back exactly on inject.

// What inject must write for an accepted header: the trimmed header for version 00, else the
// version 00 form of its first four fields with only the sampled flag.
std::string expected_reinjection(std::string_view header) {
  while (!header.empty() && (header.front() == ' ' || header.front() == '\t'))
    header.remove_prefix(1);
  while (!header.empty() && (header.back() == ' ' || header.back() == '\t'))
    header.remove_suffix(1);
  // Version 00 with the flags it defines (sampled, random); the other bits are sent as zero.
  const int flags = std::stoi(std::string(header.substr(53, 2)), nullptr, 16) & 0x03;
  return "00" + std::string(header.substr(2, 51)) + "0" + std::to_string(flags);
}

// splitmix64: a deterministic, register-only generator (std::mt19937_64 costs more under TSan
// than the code it feeds).
struct Rng {
  std::uint64_t state;
  std::uint64_t operator()() noexcept {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
};

struct FuzzOutcome {
  std::size_t accepted = 0;
  std::string first_failure;
};

// One carrier reused across iterations keeps the fuzz loop about parsing, not allocation.
struct FuzzCarrier {
  std::vector<std::pair<std::string, std::string>> headers{{"traceparent", ""}, {"tracestate", ""}};
  std::vector<std::pair<std::string, std::string>> out;
};

void check_one(FuzzCarrier& carrier, FuzzOutcome& out) {
  const std::string& traceparent = carrier.headers[0].second;
  const Context ctx = extract(carrier.headers);
  if (!ctx.span().is_valid()) return;
  ++out.accepted;
  carrier.out.clear();
  inject(ctx, carrier.out);
  const auto injected = detail::find_header(carrier.out, "traceparent");
  const auto injected_state = detail::find_header(carrier.out, "tracestate");
  const bool state_ok = ctx.span().trace_state().empty()
                            ? !injected_state.has_value()
                            : injected_state == ctx.span().trace_state();
  const bool ok =
      injected == expected_reinjection(traceparent) && state_ok && ctx.span().is_remote();
  if (!ok && out.first_failure.empty()) out.first_failure = traceparent;
}

TEST(PropagationFuzz, RandomBytesNeverThrowAndAcceptedHeadersRoundTrip) {
  Rng rng{20240611};
  static constexpr std::string_view kAlphabet = "0123456789abcdef-";
  // Random bytes, about half of them mapped into the header's own alphabet so that some inputs
  // get deep into parsing. Filled a word at a time: the loop runs 200k times under TSan too.
  const auto random_bytes = [&rng](std::string& out, std::size_t length) {
    out.resize(length);
    char* p = out.data();
    for (std::size_t j = 0; j < length; j += 8) {
      const std::uint64_t bits = rng();
      std::memcpy(p + j, &bits, std::min<std::size_t>(8, length - j));
    }
    std::uint64_t mask = rng();
    for (std::size_t j = 0; j < length; ++j, mask = (mask >> 1) | (mask << 63)) {
      if (mask & 1) p[j] = kAlphabet[static_cast<unsigned char>(p[j]) % kAlphabet.size()];
    }
  };
  // Every fourth input has the header's shape (random lower-case hex fields, dashes in place,
  // sometimes random trailing data) so that many are accepted and their round trip is checked.
  const auto random_shaped = [&rng, &random_bytes](std::string& out) {
    static constexpr std::string_view kHex = "0123456789abcdef";
    out.assign(55, '-');
    std::uint64_t bits = rng();
    for (std::size_t j = 0; j < 55; ++j) {
      if (j == 2 || j == 35 || j == 52) continue;
      if (j % 16 == 0) bits = rng();
      out[j] = kHex[bits & 0xf];
      bits >>= 4;
    }
    if (rng() % 2 == 0) {
      std::string tail;
      random_bytes(tail, rng() % 20);
      out += '-';
      out += tail;
    }
  };
  static const std::array<std::string, 5> kStates = {
      "", "a=1", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", "Bad=1", " x@y=z "};
  FuzzOutcome outcome;
  FuzzCarrier carrier;
  constexpr int kIterations = 200'000;
  for (int i = 0; i < kIterations; ++i) {
    const std::uint64_t r = rng();
    if (r % 4 == 0) {
      random_shaped(carrier.headers[0].second);
      carrier.headers[1].second = kStates[(r >> 16) % kStates.size()];
    } else {
      random_bytes(carrier.headers[0].second, (r >> 8) % 90);
      random_bytes(carrier.headers[1].second, (r >> 16) % 24);
    }
    check_one(carrier, outcome);
  }
  EXPECT_TRUE(outcome.first_failure.empty()) << "did not round-trip: " << outcome.first_failure;
  // Shaped inputs with version 00 and trailing data, or version ff, are rejected; the rest pass.
  EXPECT_GT(outcome.accepted, static_cast<std::size_t>(kIterations) / 8);
}

TEST(PropagationFuzz, MutationsOfAValidHeaderNeverThrowAndAcceptedOnesRoundTrip) {
  Rng rng{977};
  FuzzOutcome outcome;
  FuzzCarrier carrier;
  carrier.headers[1].second = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE";
  constexpr int kIterations = 100'000;
  for (int i = 0; i < kIterations; ++i) {
    std::string& header = carrier.headers[0].second;
    header = kValid;
    const int mutations = 1 + static_cast<int>(rng() % 3);
    for (int m = 0; m < mutations; ++m) {
      const std::size_t pos = header.empty() ? 0 : rng() % header.size();
      const auto byte = static_cast<char>(rng() % 256);
      switch (rng() % 4) {
        case 0:
          if (!header.empty()) header[pos] = byte;
          break;
        case 1:
          header.insert(header.begin() + static_cast<std::ptrdiff_t>(pos), byte);
          break;
        case 2:
          if (!header.empty()) header.erase(pos, 1);
          break;
        default:
          if (!header.empty()) header[pos] = "0123456789abcdefABCDEF- \t"[rng() % 25];
          break;
      }
    }
    check_one(carrier, outcome);
  }
  EXPECT_TRUE(outcome.first_failure.empty()) << "did not round-trip: " << outcome.first_failure;
  // Many mutations keep the header valid (a hex digit for another one); the round trip was tested.
  EXPECT_GT(outcome.accepted, 1000u);
  EXPECT_LT(outcome.accepted, static_cast<std::size_t>(kIterations));
}

TEST(PropagationFuzz, ParsedBaggageSurvivesFormatAndParseAgain) {
  Rng rng{4242};
  const std::string alphabet = "abcXYZ09%=;, \t\"\\.-_~!\xc3\xa9\xff";
  for (int i = 0; i < 20'000; ++i) {
    std::string header;
    const std::size_t length = rng() % 60;
    for (std::size_t j = 0; j < length; ++j) header += alphabet[rng() % (alphabet.size())];
    const Baggage parsed = parse_baggage(header);
    const Baggage again = parse_baggage(format_baggage(parsed));
    ASSERT_EQ(again, parsed) << "header: " << header;
  }
}

}  // namespace
}  // namespace lumen::propagation
