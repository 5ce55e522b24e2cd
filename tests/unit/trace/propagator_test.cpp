// Propagator: each header format's inject and extract (B3 single and multi, Jaeger) against the
// examples of their specifications, and the composite's order.
#include "lumen/trace/propagator.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "../runtime/config_from.hpp"
#include "lumen/runtime.hpp"

namespace lumen::propagation {
namespace {

using Headers = std::map<std::string, std::string>;
using Lines = std::vector<std::pair<std::string, std::string>>;

// The ids of the B3 specification's examples, used for every format here.
constexpr std::string_view kB3TraceHex = "80f198ee56343ba864fe8b2a57d3eff7";
constexpr std::string_view kB3SpanHex = "e457b5a2e4d86bd1";

SpanContext span_context(std::string_view trace, std::string_view span, std::uint8_t flags) {
  return SpanContext(*TraceId::from_hex(trace), *SpanId::from_hex(span), flags);
}

Context with_span(std::uint8_t flags) {
  return Context().with_span(span_context(kB3TraceHex, kB3SpanHex, flags));
}

const Propagator kB3{Format::kB3};
const Propagator kB3Multi{Format::kB3Multi};
const Propagator kJaeger{Format::kJaeger};

void expect_span(const Context& context, std::string_view trace, std::string_view span,
                 bool sampled) {
  ASSERT_TRUE(context.span().is_valid());
  EXPECT_EQ(context.span().trace_id().to_hex(), trace);
  EXPECT_EQ(context.span().span_id().to_hex(), span);
  EXPECT_EQ(context.span().is_sampled(), sampled);
  EXPECT_TRUE(context.span().is_remote());
}

// ---------------------------------------------------------------------------------------------
// B3 single header: b3: {TraceId}-{SpanId}-{SamplingState}-{ParentSpanId}

TEST(B3Single, InjectThenExtractRoundTrips) {
  for (const std::uint8_t flags : {std::uint8_t{0}, SpanContext::kSampledFlag}) {
    Headers headers;
    kB3.inject(with_span(flags), headers);
    ASSERT_EQ(headers.size(), 1u);
    EXPECT_EQ(headers["b3"],
              std::string(kB3TraceHex) + "-" + std::string(kB3SpanHex) + (flags ? "-1" : "-0"));
    expect_span(kB3.extract(headers), kB3TraceHex, kB3SpanHex, flags != 0);
  }
}

TEST(B3Single, TheSpecificationsExampleWithAParentSpanIdIsRead) {
  const Context context = kB3.extract(Headers{
      {"b3", std::string(kB3TraceHex) + "-" + std::string(kB3SpanHex) + "-1-05e3ac9a4f6e3b90"}});
  expect_span(context, kB3TraceHex, kB3SpanHex, true);
}

TEST(B3Single, A64BitTraceIdIsLeftPaddedWithZeros) {
  const Context context = kB3.extract(Headers{{"b3", "a3ce929d0e0e4736-00f067aa0ba902b7-1"}});
  expect_span(context, "0000000000000000a3ce929d0e0e4736", "00f067aa0ba902b7", true);
}

TEST(B3Single, TheDebugFlagContinuesAsSampled) {
  const Context context =
      kB3.extract(Headers{{"b3", std::string(kB3TraceHex) + "-" + std::string(kB3SpanHex) + "-d"}});
  expect_span(context, kB3TraceHex, kB3SpanHex, true);
}

TEST(B3Single, WithoutASamplingStateTheTraceContinuesUnsampled) {
  const Context context =
      kB3.extract(Headers{{"b3", std::string(kB3TraceHex) + "-" + std::string(kB3SpanHex)}});
  expect_span(context, kB3TraceHex, kB3SpanHex, false);
}

// "b3: 0" is a sampling decision without a trace: there is nothing to continue.
TEST(B3Single, ASamplingStateAloneStartsANewTrace) {
  for (const char* alone : {"0", "1", "d"}) {
    SCOPED_TRACE(alone);
    EXPECT_FALSE(kB3.extract(Headers{{"b3", alone}}).span().is_valid());
  }
}

TEST(B3Single, InvalidHeadersAreIgnored) {
  const std::string t(kB3TraceHex);
  const std::string s(kB3SpanHex);
  for (const std::string& invalid : {
           t + "-" + s + "-x",                              // unknown sampling state
           t.substr(1) + "-" + s + "-1",                    // 31 digits
           t + "-" + s.substr(1) + "-1",                    // 15 digits
           std::string(32, '0') + "-" + s + "-1",           // all-zero trace id
           t + "-" + std::string(16, '0') + "-1",           // all-zero span id
           "80F198EE56343BA864FE8B2A57D3EFF7-" + s + "-1",  // upper case
           t + "-" + s + "-1-05e3ac9a4f6e3b9",              // bad parent span id
           t + "-" + s + "-1-05e3ac9a4f6e3b90-x",           // a fifth field
           std::string("garbage"),
       }) {
    SCOPED_TRACE(invalid);
    EXPECT_FALSE(kB3.extract(Headers{{"b3", invalid}}).span().is_valid());
  }
}

// ---------------------------------------------------------------------------------------------
// B3 multiple headers

TEST(B3Multi, InjectThenExtractRoundTrips) {
  for (const std::uint8_t flags : {std::uint8_t{0}, SpanContext::kSampledFlag}) {
    Headers headers;
    kB3Multi.inject(with_span(flags), headers);
    EXPECT_EQ(headers, (Headers{{"x-b3-traceid", std::string(kB3TraceHex)},
                                {"x-b3-spanid", std::string(kB3SpanHex)},
                                {"x-b3-sampled", flags ? "1" : "0"}}));
    expect_span(kB3Multi.extract(headers), kB3TraceHex, kB3SpanHex, flags != 0);
  }
}

// The specification's example, names in its case; X-B3-ParentSpanId is not needed and ignored.
TEST(B3Multi, TheSpecificationsExampleIsRead) {
  const Context context = kB3Multi.extract(Headers{{"X-B3-TraceId", std::string(kB3TraceHex)},
                                                   {"X-B3-ParentSpanId", "05e3ac9a4f6e3b90"},
                                                   {"X-B3-SpanId", std::string(kB3SpanHex)},
                                                   {"X-B3-Sampled", "1"}});
  expect_span(context, kB3TraceHex, kB3SpanHex, true);
}

TEST(B3Multi, A64BitTraceIdIsLeftPaddedWithZeros) {
  const Context context = kB3Multi.extract(
      Headers{{"x-b3-traceid", "a3ce929d0e0e4736"}, {"x-b3-spanid", std::string(kB3SpanHex)}});
  expect_span(context, "0000000000000000a3ce929d0e0e4736", kB3SpanHex, false);
}

TEST(B3Multi, DebugFlagAndTrueFalseSampledValues) {
  const Headers ids{{"x-b3-traceid", std::string(kB3TraceHex)},
                    {"x-b3-spanid", std::string(kB3SpanHex)}};
  const auto sampled_with = [&](Headers extra) {
    extra.insert(ids.begin(), ids.end());
    return kB3Multi.extract(extra).span().is_sampled();
  };
  EXPECT_TRUE(sampled_with({{"x-b3-flags", "1"}}));
  EXPECT_TRUE(sampled_with({{"x-b3-flags", "1"}, {"x-b3-sampled", "0"}}));  // debug implies sampled
  EXPECT_TRUE(sampled_with({{"x-b3-sampled", "true"}}));
  EXPECT_FALSE(sampled_with({{"x-b3-sampled", "false"}}));
  EXPECT_FALSE(sampled_with({}));
  EXPECT_FALSE(kB3Multi
                   .extract(Headers{{"x-b3-traceid", std::string(kB3TraceHex)},
                                    {"x-b3-spanid", std::string(kB3SpanHex)},
                                    {"x-b3-sampled", "yes"}})
                   .span()
                   .is_valid());
}

TEST(B3Multi, AMissingOrRepeatedIdIsIgnored) {
  EXPECT_FALSE(
      kB3Multi.extract(Headers{{"x-b3-traceid", std::string(kB3TraceHex)}}).span().is_valid());
  EXPECT_FALSE(
      kB3Multi.extract(Headers{{"x-b3-spanid", std::string(kB3SpanHex)}}).span().is_valid());
  EXPECT_FALSE(kB3Multi
                   .extract(Lines{{"x-b3-traceid", std::string(kB3TraceHex)},
                                  {"X-B3-TraceId", "a3ce929d0e0e4736"},
                                  {"x-b3-spanid", std::string(kB3SpanHex)}})
                   .span()
                   .is_valid());
}

// The OpenTelemetry propagators specification: a B3 propagator reads both encodings, the single
// header first, whichever it writes.
TEST(B3Either, EachB3PropagatorReadsTheOtherEncodingAndPrefersTheSingleHeader) {
  const Headers multi{{"x-b3-traceid", std::string(kB3TraceHex)},
                      {"x-b3-spanid", std::string(kB3SpanHex)},
                      {"x-b3-sampled", "1"}};
  expect_span(kB3.extract(multi), kB3TraceHex, kB3SpanHex, true);
  Headers single;
  kB3.inject(with_span(SpanContext::kSampledFlag), single);
  expect_span(kB3Multi.extract(single), kB3TraceHex, kB3SpanHex, true);

  Headers both = multi;
  both["b3"] = "a3ce929d0e0e4736-00f067aa0ba902b7-0";
  for (const Propagator* b3 : {&kB3, &kB3Multi}) {
    expect_span(b3->extract(both), "0000000000000000a3ce929d0e0e4736", "00f067aa0ba902b7", false);
  }
  // An invalid single header does not hide a valid multi-header trace.
  both["b3"] = "not-b3";
  expect_span(kB3.extract(both), kB3TraceHex, kB3SpanHex, true);
}

// ---------------------------------------------------------------------------------------------
// Jaeger: uber-trace-id: {trace-id}:{span-id}:{parent-span-id}:{flags}, uberctx-{key}: {value}

TEST(JaegerFormat, InjectThenExtractRoundTrips) {
  for (const std::uint8_t flags : {std::uint8_t{0}, SpanContext::kSampledFlag}) {
    Headers headers;
    kJaeger.inject(with_span(flags), headers);
    EXPECT_EQ(headers,
              (Headers{{"uber-trace-id", std::string(kB3TraceHex) + ":" + std::string(kB3SpanHex) +
                                             (flags ? ":0:1" : ":0:0")}}));
    expect_span(kJaeger.extract(headers), kB3TraceHex, kB3SpanHex, flags != 0);
  }
}

TEST(JaegerFormat, ShortIdsAreLeftPaddedWithZeros) {
  expect_span(kJaeger.extract(Headers{{"uber-trace-id", "a3ce929d0e0e4736:f067aa0ba902b7:0:1"}}),
              "0000000000000000a3ce929d0e0e4736", "00f067aa0ba902b7", true);
  expect_span(kJaeger.extract(Headers{{"uber-trace-id", "abc:1:0:1"}}),
              "00000000000000000000000000000abc", "0000000000000001", true);
}

TEST(JaegerFormat, FlagsAreAHexBitmapWithDebugMeaningSampled) {
  const auto sampled = [&](const std::string& flags) {
    const Context context = kJaeger.extract(Headers{{"uber-trace-id", "abc:def:0:" + flags}});
    EXPECT_TRUE(context.span().is_valid()) << flags;
    return context.span().is_sampled();
  };
  EXPECT_TRUE(sampled("1"));
  EXPECT_TRUE(sampled("01"));
  EXPECT_TRUE(sampled("3"));
  EXPECT_TRUE(sampled("2"));  // debug
  EXPECT_FALSE(sampled("0"));
  EXPECT_FALSE(sampled("04"));
}

TEST(JaegerFormat, AUrlEncodedHeaderIsRead) {
  expect_span(kJaeger.extract(Headers{{"uber-trace-id", "abc%3Adef%3A0%3A1"}}),
              "00000000000000000000000000000abc", "0000000000000def", true);
}

TEST(JaegerFormat, InvalidHeadersAreIgnored) {
  for (const char* invalid :
       {"abc:def:0", "abc:def:0:1:9", "0:def:0:1", "abc:0:0:1", "abc:def:0:", "abc:def:0:100",
        "abc:def:0:x", "ABC:def:0:1", ":def:0:1", "123456789012345678901234567890123:def:0:1",
        "abc:12345678901234567:0:1"}) {
    SCOPED_TRACE(invalid);
    EXPECT_FALSE(kJaeger.extract(Headers{{"uber-trace-id", invalid}}).span().is_valid());
  }
}

TEST(JaegerFormat, BaggageTravelsInUberctxHeadersPercentEncoded) {
  const Baggage baggage = Baggage{}.with("user-id", "alice smith").with("tier", "pro/1%");
  Headers headers;
  kJaeger.inject(Context().with_baggage(baggage), headers);
  EXPECT_EQ(headers,
            (Headers{{"uberctx-user-id", "alice%20smith"}, {"uberctx-tier", "pro%2F1%25"}}));
  const Baggage extracted = kJaeger.extract(headers).baggage();
  EXPECT_EQ(extracted.get("user-id"), "alice smith");
  EXPECT_EQ(extracted.get("tier"), "pro/1%");
}

TEST(JaegerFormat, UberctxNamesMatchInAnyCaseAndJoinTheContextsBaggage) {
  const Context base = Context().with_baggage(Baggage{}.with("kept", "1"));
  const Context context = kJaeger.extract(Headers{{"Uberctx-Color", "blue%21"}}, base);
  EXPECT_EQ(context.baggage().get("Color"), "blue!");
  EXPECT_EQ(context.baggage().get("kept"), "1");
}

// ---------------------------------------------------------------------------------------------
// The composite

TEST(CompositePropagator, TheDefaultIsTraceContextThenBaggage) {
  EXPECT_EQ(Propagator().names(), "tracecontext,baggage");
  EXPECT_EQ(Propagator(std::span<const Format>{}).names(), "none");
}

TEST(CompositePropagator, InjectWritesEveryFormat) {
  const Propagator all{Format::kTraceContext, Format::kBaggage, Format::kB3, Format::kB3Multi,
                       Format::kJaeger};
  Headers headers;
  all.inject(with_span(SpanContext::kSampledFlag).with_baggage(Baggage{}.with("k", "v")), headers);
  for (const char* name : {"traceparent", "baggage", "b3", "x-b3-traceid", "x-b3-spanid",
                           "x-b3-sampled", "uber-trace-id", "uberctx-k"}) {
    EXPECT_EQ(headers.count(name), 1u) << name;
  }
}

// Each format extracts in the order given, over what the ones before found: the last listed that
// finds a trace wins, and a format without its headers leaves the context as it was.
TEST(CompositePropagator, ExtractsInTheGivenOrderAndTheLastFormatFoundWins) {
  const Headers headers{{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
                        {"b3", std::string(kB3TraceHex) + "-" + std::string(kB3SpanHex) + "-0"}};
  expect_span(Propagator{Format::kTraceContext, Format::kB3}.extract(headers), kB3TraceHex,
              kB3SpanHex, false);
  expect_span(Propagator{Format::kB3, Format::kTraceContext}.extract(headers),
              "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", true);
  expect_span(Propagator{Format::kB3, Format::kJaeger}.extract(headers), kB3TraceHex, kB3SpanHex,
              false);
}

TEST(CompositePropagator, NoneExtractsNothingAndInjectsNothing) {
  const Propagator none = Propagator::from_names("none");
  Headers out;
  none.inject(with_span(1).with_baggage(Baggage{}.with("k", "v")), out);
  EXPECT_TRUE(out.empty());
  const Context context = none.extract(
      Headers{{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}});
  EXPECT_FALSE(context.span().is_valid());
}

TEST(CompositePropagator, NamesAreReadInOrderIgnoringCaseSpacesAndRepeats) {
  std::string unknown;
  const Propagator p =
      Propagator::from_names(" B3Multi , jaeger,tracecontext,b3multi,,none", &unknown);
  EXPECT_EQ(p.names(), "b3multi,jaeger,tracecontext");
  EXPECT_EQ(unknown, "");
}

TEST(CompositePropagator, UnknownNamesAreSkippedAndReported) {
  std::string unknown;
  const Propagator p = Propagator::from_names("bogus,b3,xray", &unknown);
  EXPECT_EQ(p.names(), "b3");
  EXPECT_EQ(unknown, "bogus,xray");
}

// The usage example at the top of propagator.hpp, with a Runtime that reads B3 and writes it on.
TEST(CompositePropagator, HeaderUsageExampleWorks) {
  Config config = testing::config_from({{"OTEL_PROPAGATORS", "b3multi,baggage"}});
  config.log.options.level = log::Level::kError;
  Runtime runtime(std::move(config));
  trace::Tracer& tracer = runtime.tracer();
  const Headers request_headers{{"X-B3-TraceId", std::string(kB3TraceHex)},
                                {"X-B3-SpanId", std::string(kB3SpanHex)},
                                {"X-B3-Sampled", "1"},
                                {"baggage", "userId=alice"}};
  Headers outgoing_headers;
  {
    // Usually the Runtime's, built from OTEL_PROPAGATORS:
    const lumen::propagation::Propagator& propagator = runtime.propagator();
    auto request_scope = propagator.extract(request_headers).activate();
    auto span = tracer.start("POST /orders", {.kind = lumen::trace::SpanKind::kServer});
    auto span_scope = span.activate();
    propagator.inject(lumen::Context::current(), outgoing_headers);
  }
  // Or named in code:
  lumen::propagation::Propagator b3({lumen::propagation::Format::kB3Multi});
  EXPECT_EQ(b3.names(), "b3multi");

  EXPECT_EQ(outgoing_headers.at("x-b3-traceid"), kB3TraceHex);
  EXPECT_NE(outgoing_headers.at("x-b3-spanid"), kB3SpanHex);
  EXPECT_EQ(outgoing_headers.at("x-b3-sampled"), "1");
  EXPECT_EQ(outgoing_headers.at("baggage"), "userId=alice");
  EXPECT_EQ(outgoing_headers.count("traceparent"), 0u);
}

}  // namespace
}  // namespace lumen::propagation
