// The rules of W3C Trace Context and W3C Baggage that no other test states on its own, each quoted
// from the specification and named after it. (The traceparent grammar is the table in
// propagation_test.cpp; tracestate's limits and keys are in tracestate_test.cpp.)
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lumen/export/memory_exporter.hpp"
#include "lumen/trace/propagation.hpp"
#include "lumen/trace/tracer_provider.hpp"

namespace lumen::propagation {
namespace {

using Headers = std::map<std::string, std::string>;
using Lines = std::vector<std::pair<std::string, std::string>>;

const std::string kExampleTraceHex = "4bf92f3577b34da6a3ce929d0e0e4736";
const std::string kParent = "00-" + kExampleTraceHex + "-00f067aa0ba902b7-01";

// The headers a service sends on after extracting `received`: directly (a pass-through) or from
// inside a server span.
Headers passed_through(const Headers& received) {
  Headers out;
  inject(extract(received), out);
  return out;
}

// "Vendors MUST expect the header name in any case (upper, lower, mixed), and SHOULD send the
// header name in lowercase" (traceparent, tracestate); "implementations SHOULD keep the header
// name lowercase" (baggage).
TEST(W3CRules, HeaderNamesAreSentInLowerCase) {
  const Headers out = passed_through(
      Headers{{"TraceParent", kParent}, {"TRACESTATE", "congo=t61"}, {"Baggage", "k=v"}});
  EXPECT_EQ(out,
            (Headers{{"traceparent", kParent}, {"tracestate", "congo=t61"}, {"baggage", "k=v"}}));
}

// "Vendors MUST use these fields to construct the new traceparent field according to the highest
// version of the specification known to the implementation (in this specification it is 00)";
// "Downgrade the version: [...] the first mutation is to downgrade the version of the header".
TEST(TraceContextRules, AHigherVersionIsSentOnAsVersion00) {
  const Headers out = passed_through(
      Headers{{"traceparent", "cc-" + kExampleTraceHex + "-00f067aa0ba902b7-01-future-field"}});
  EXPECT_EQ(out.at("traceparent"), kParent);
}

// "If the value of the traceparent field wasn't changed before propagation, tracestate MUST NOT be
// modified as well" (a valid, already normalised list goes on as it came).
TEST(TraceContextRules, APassThroughSendsTraceParentAndTraceStateUnchanged) {
  const Headers received{{"traceparent", kParent},
                         {"tracestate", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"}};
  EXPECT_EQ(passed_through(received), received);
}

// "A vendor receiving a traceparent request header MUST send it to outgoing requests [...]
// Update parent-id: [...] the new value representing the ID of the current operation"; the
// trace-id is never changed, and the sampled flag goes on as received.
TEST(TraceContextRules, AServerSendsTheTraceOnWithItsOwnSpanAsTheParent) {
  auto memory = std::make_shared<exporters::InMemorySpanExporter>();
  trace::TracerProvider provider{
      {.processor = std::make_unique<trace::SimpleSpanProcessor>(memory)}};
  for (const char* flags : {"01", "00"}) {
    SCOPED_TRACE(flags);
    const std::string received = "00-" + kExampleTraceHex + "-00f067aa0ba902b7-" + flags;
    Headers out;
    {
      auto request_scope = extract(Headers{{"traceparent", received}}).activate();
      auto span = provider.tracer("w3c").start("server", {.kind = trace::SpanKind::kServer});
      auto span_scope = span.activate();
      inject(Context::current(), out);
      EXPECT_EQ(out.at("traceparent"),
                "00-" + kExampleTraceHex + "-" + span.context().span_id().to_hex() + "-" + flags);
    }
  }
}

// "Vendors receiving a tracestate request header MUST send it to outgoing requests [...] the order
// of unmodified key/value pairs MUST be preserved."
TEST(TraceStateRules, ReceivedMembersAreSentOnInTheirOrder) {
  const std::string list = "zz=1,aa=2,mm=3,0k=4,k@t=5";
  EXPECT_EQ(
      passed_through(Headers{{"traceparent", kParent}, {"tracestate", list}}).at("tracestate"),
      list);
}

// "Vendors MUST accept empty tracestate headers but SHOULD avoid sending them."
TEST(TraceStateRules, AnEmptyHeaderIsAcceptedAndNotSent) {
  const Headers out = passed_through(Headers{{"traceparent", kParent}, {"tracestate", ""}});
  EXPECT_EQ(out, (Headers{{"traceparent", kParent}}));
}

// "all leading spaces MUST be preserved as part of the value".
TEST(TraceStateRules, LeadingSpacesOfAValueArePreserved) {
  EXPECT_EQ(passed_through(Headers{{"traceparent", kParent}, {"tracestate", "a=  x,b=y"}})
                .at("tracestate"),
            "a=  x,b=y");
}

// "failure to parse tracestate MUST NOT affect the parsing of traceparent", also when the
// tracestate is spread over lines of which one is invalid.
TEST(TraceStateRules, AnInvalidLineOfARepeatedHeaderLeavesTheTraceParent) {
  const Context context =
      extract(Lines{{"traceparent", kParent}, {"tracestate", "a=1"}, {"tracestate", "B=2"}});
  EXPECT_TRUE(context.span().is_valid());
  EXPECT_EQ(context.span().trace_state(), "");
}

// The specification's example: "Values and names might begin and end with spaces", over two lines.
TEST(BaggageRules, TheSpecificationsSpacedMultiLineExampleParses) {
  const Baggage baggage = extract(Lines{{"baggage", "userId =   alice"},
                                        {"baggage", "serverNode = DF%2028, isProduction = false"}})
                              .baggage();
  EXPECT_EQ(baggage.entries(), (std::vector<Baggage::Entry>{{"userId", "alice", ""},
                                                            {"serverNode", "DF 28", ""},
                                                            {"isProduction", "false", ""}}));
}

// "A system receiving a baggage request header SHOULD send it to outgoing requests", with no span
// (a service that does not trace) as with one.
TEST(BaggageRules, AReceivedHeaderIsSentOnWithOrWithoutATrace) {
  EXPECT_EQ(passed_through(Headers{{"baggage", "userId=alice,serverNode=DF%2028"}}),
            (Headers{{"baggage", "userId=alice,serverNode=DF%2028"}}));
  EXPECT_EQ(
      passed_through(Headers{{"traceparent", kParent}, {"baggage", "userId=alice"}}).at("baggage"),
      "userId=alice");
}

}  // namespace
}  // namespace lumen::propagation
