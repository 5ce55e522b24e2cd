// trace-flags as W3C Trace Context Level 2 defines them: sampled (bit 0), random trace id (bit 1),
// the other bits reserved and sent as zero.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "lumen/export/memory_exporter.hpp"
#include "lumen/trace/propagation.hpp"
#include "lumen/trace/tracer_provider.hpp"

namespace lumen::trace {
namespace {

using Headers = std::map<std::string, std::string>;

constexpr std::uint8_t kRandom = SpanContext::kRandomFlag;

struct Fixture {
  std::shared_ptr<exporters::InMemorySpanExporter> memory =
      std::make_shared<exporters::InMemorySpanExporter>();
  TracerProvider provider{{.processor = std::make_unique<SimpleSpanProcessor>(memory)}};
  Tracer& tracer = provider.tracer("trace-flags-test");
};

std::string flags_sent(const SpanContext& span) {
  Headers headers;
  propagation::inject(Context().with_span(span), headers);
  return headers["traceparent"].substr(53);
}

// "It is RECOMMENDED that implementers randomly (or pseudo-randomly) generate the trace-id field,
// and set the corresponding random trace id flag": lumen's trace ids are random.
TEST(TraceFlags, ANewTraceSetsTheRandomFlag) {
  Fixture f;
  const Span root = f.tracer.start("root", {.parent = Context()});
  EXPECT_EQ(root.context().flags(), SpanContext::kSampledFlag | kRandom);
  EXPECT_EQ(flags_sent(root.context()), "03");
}

TEST(TraceFlags, AnUnsampledNewTraceStillSetsTheRandomFlag) {
  TracerProvider provider{{.sampler = Sampler::always_off()}};
  const Span root = provider.tracer("t").start("root", {.parent = Context()});
  EXPECT_EQ(root.context().flags(), kRandom);
  EXPECT_EQ(flags_sent(root.context()), "02");
}

// The flag describes the trace id, which a continued trace keeps: it is carried over as received.
TEST(TraceFlags, AContinuedTraceKeepsTheRandomFlagAsReceived) {
  Fixture f;
  const std::string parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-";
  const Context random = propagation::extract(Headers{{"traceparent", parent + "03"}});
  const Context not_random = propagation::extract(Headers{{"traceparent", parent + "01"}});
  EXPECT_EQ(f.tracer.start("a", {.parent = random}).context().flags() & kRandom, kRandom);
  EXPECT_EQ(f.tracer.start("b", {.parent = not_random}).context().flags() & kRandom, 0);
  // A local child inherits it from a generated root.
  const Span root = f.tracer.start("root", {.parent = Context()});
  const Span child = f.tracer.start("child", {.parent = Context().with_span(root.context())});
  EXPECT_EQ(child.context().flags() & kRandom, kRandom);
}

// "The behavior of other flags [...] is not defined and is reserved for future use. Vendors MUST
// set those to zero."
TEST(TraceFlags, UndefinedFlagsAreSentAsZero) {
  const SpanContext all(TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").value(),
                        SpanId::from_hex("00f067aa0ba902b7").value(), 0xff);
  EXPECT_EQ(flags_sent(all), "03");
  const Context received = propagation::extract(
      Headers{{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-fd"}});
  EXPECT_EQ(received.span().flags(), SpanContext::kSampledFlag);
  EXPECT_EQ(flags_sent(received.span()), "01");
}

}  // namespace
}  // namespace lumen::trace
