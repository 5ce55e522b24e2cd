// Samplers: the fixed ones, the trace id ratio (statistically and exactly at its edges),
// parent-based decisions, OTEL_TRACES_SAMPLER names, and sampling end to end through a Tracer.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/id_generator.hpp"
#include "lumen/core/error.hpp"
#include "lumen/export/memory_exporter.hpp"
#include "lumen/trace/sampler.hpp"
#include "lumen/trace/tracer_provider.hpp"

namespace lumen::trace {
namespace {

using namespace std::chrono_literals;

constexpr SamplingDecision kSample = SamplingDecision::kRecordAndSample;
constexpr SamplingDecision kDrop = SamplingDecision::kDrop;

TraceId trace_id_from(std::uint64_t high, std::uint64_t low) {
  std::array<std::uint8_t, 16> bytes{};
  for (int i = 0; i < 8; ++i) {
    bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(high >> (56 - 8 * i));
    bytes[static_cast<std::size_t>(8 + i)] = static_cast<std::uint8_t>(low >> (56 - 8 * i));
  }
  return TraceId(bytes);
}

// Trace ids from a fixed-seed generator: random enough to test a ratio, and the same ids on every
// run, so that a statistical test cannot flake.
std::vector<TraceId> random_trace_ids(std::size_t n) {
  std::mt19937_64 rng(0x5eed'1d5ULL);
  std::vector<TraceId> ids;
  ids.reserve(n);
  for (std::size_t i = 0; i < n; ++i) ids.push_back(trace_id_from(rng(), rng()));
  return ids;
}

SamplingDecision root_decision(const Sampler& sampler, const TraceId& id) {
  return sampler.should_sample(SpanContext(), id, "op", SpanKind::kInternal);
}

SpanContext parent(bool sampled, bool remote) {
  return SpanContext(IdGenerator::trace_id(), IdGenerator::span_id(),
                     sampled ? SpanContext::kSampledFlag : 0, remote);
}

// --- fixed samplers -----------------------------------------------------------------------------

TEST(Sampler, AlwaysOnSamplesEverySpan) {
  auto sampler = Sampler::always_on();
  for (const TraceId& id : random_trace_ids(100)) EXPECT_EQ(root_decision(*sampler, id), kSample);
  // Without a parent-based wrapper, the parent's flag does not matter.
  const SpanContext p = parent(false, true);
  EXPECT_EQ(sampler->should_sample(p, p.trace_id(), "op", SpanKind::kServer), kSample);
}

TEST(Sampler, AlwaysOffDropsEverySpan) {
  auto sampler = Sampler::always_off();
  for (const TraceId& id : random_trace_ids(100)) EXPECT_EQ(root_decision(*sampler, id), kDrop);
  const SpanContext p = parent(true, false);
  EXPECT_EQ(sampler->should_sample(p, p.trace_id(), "op", SpanKind::kServer), kDrop);
}

// --- trace id ratio -----------------------------------------------------------------------------

TEST(Sampler, TraceIdRatioIsHonouredWithinFiveSigma) {
  constexpr std::size_t kIds = 100'000;
  const std::vector<TraceId> ids = random_trace_ids(kIds);
  for (double ratio : {0.01, 0.25, 0.5, 0.9}) {
    auto sampler = Sampler::trace_id_ratio(ratio);
    std::size_t sampled = 0;
    for (const TraceId& id : ids) {
      if (root_decision(*sampler, id) == kSample) ++sampled;
    }
    const double n = static_cast<double>(kIds);
    const double expected = n * ratio;
    const double sigma = std::sqrt(n * ratio * (1.0 - ratio));
    EXPECT_NEAR(static_cast<double>(sampled), expected, 5.0 * sigma) << "ratio " << ratio;
  }
}

TEST(Sampler, TraceIdRatioIsHonouredForGeneratedIds) {
  // The same check on the SDK's own id generator, whose ids the sampler sees in production.
  // Five sigma: a false failure is a one-in-a-million event.
  constexpr std::size_t kIds = 100'000;
  constexpr double kRatio = 0.25;
  auto sampler = Sampler::trace_id_ratio(kRatio);
  std::size_t sampled = 0;
  for (std::size_t i = 0; i < kIds; ++i) {
    if (root_decision(*sampler, IdGenerator::trace_id()) == kSample) ++sampled;
  }
  const double n = static_cast<double>(kIds);
  EXPECT_NEAR(static_cast<double>(sampled), n * kRatio, 5.0 * std::sqrt(n * kRatio * (1 - kRatio)));
}

TEST(Sampler, TraceIdRatioIsDeterministicForTheSameTraceId) {
  auto first = Sampler::trace_id_ratio(0.5);
  auto second = Sampler::trace_id_ratio(0.5);  // another service of the same trace
  std::size_t sampled = 0;
  for (const TraceId& id : random_trace_ids(2000)) {
    const SamplingDecision d = root_decision(*first, id);
    if (d == kSample) ++sampled;
    EXPECT_EQ(root_decision(*first, id), d);
    EXPECT_EQ(root_decision(*second, id), d);
    // The decision depends on the trace id alone, not on the name, kind or parent.
    const SpanContext p(id, IdGenerator::span_id(), 0, true);
    EXPECT_EQ(first->should_sample(p, id, "other", SpanKind::kConsumer), d);
  }
  EXPECT_GT(sampled, 0u);
  EXPECT_LT(sampled, 2000u);
}

TEST(Sampler, TraceIdRatioSamplesASupersetAtAHigherRatio) {
  // What 1% of services sample, a service at 50% samples too: traces stay complete.
  auto low = Sampler::trace_id_ratio(0.01);
  auto high = Sampler::trace_id_ratio(0.5);
  for (const TraceId& id : random_trace_ids(20'000)) {
    if (root_decision(*low, id) == kSample) {
      EXPECT_EQ(root_decision(*high, id), kSample);
    }
  }
}

TEST(Sampler, TraceIdRatioReadsTheLow56BitsOfTheTraceId) {
  auto half = Sampler::trace_id_ratio(0.5);
  const std::uint64_t below = (1ULL << 55) - 1;  // just under half of 2^56
  const std::uint64_t above = 1ULL << 55;
  for (std::uint64_t high : {0ULL, 1ULL, ~0ULL}) {
    EXPECT_EQ(root_decision(*half, trace_id_from(high, below)), kSample);
    EXPECT_EQ(root_decision(*half, trace_id_from(high, above)), kDrop);
    // The top byte of the low half is not part of the random bits either.
    EXPECT_EQ(root_decision(*half, trace_id_from(high, below | (0xffULL << 56))), kSample);
  }
}

TEST(Sampler, TraceIdRatioZeroAndOneAreExact) {
  auto none = Sampler::trace_id_ratio(0.0);
  auto all = Sampler::trace_id_ratio(1.0);
  for (const TraceId& id : random_trace_ids(100'000)) {
    ASSERT_EQ(root_decision(*none, id), kDrop);
    ASSERT_EQ(root_decision(*all, id), kSample);
  }
  const TraceId smallest = trace_id_from(1, 0);     // randomness 0
  const TraceId largest = trace_id_from(0, ~0ULL);  // randomness 2^56 - 1
  EXPECT_EQ(root_decision(*none, smallest), kDrop);
  EXPECT_EQ(root_decision(*all, smallest), kSample);
  EXPECT_EQ(root_decision(*none, largest), kDrop);
  EXPECT_EQ(root_decision(*all, largest), kSample);
}

TEST(Sampler, TraceIdRatioOutsideZeroToOneIsASetUpError) {
  EXPECT_THROW((void)Sampler::trace_id_ratio(1.5), Error);
  EXPECT_THROW((void)Sampler::trace_id_ratio(-0.1), Error);
  EXPECT_THROW((void)Sampler::trace_id_ratio(std::nan("")), Error);
}

// --- parent based -------------------------------------------------------------------------------

TEST(Sampler, ParentBasedFollowsTheParentsSampledFlagForLocalAndRemoteParents) {
  // Roots that disagree with the parent prove the parent decides.
  for (auto root : {Sampler::always_on(), Sampler::always_off(), Sampler::trace_id_ratio(0.5)}) {
    auto sampler = Sampler::parent_based(root);
    for (bool remote : {false, true}) {
      for (int i = 0; i < 50; ++i) {
        const SpanContext sampled = parent(true, remote);
        const SpanContext unsampled = parent(false, remote);
        EXPECT_EQ(sampler->should_sample(sampled, sampled.trace_id(), "op", SpanKind::kServer),
                  kSample)
            << root->description() << " remote=" << remote;
        EXPECT_EQ(sampler->should_sample(unsampled, unsampled.trace_id(), "op", SpanKind::kServer),
                  kDrop)
            << root->description() << " remote=" << remote;
      }
    }
  }
}

TEST(Sampler, ParentBasedUsesTheRootSamplerWithoutAParent) {
  const auto ids = random_trace_ids(10'000);
  auto on = Sampler::parent_based(Sampler::always_on());
  auto off = Sampler::parent_based(Sampler::always_off());
  auto ratio = Sampler::parent_based(Sampler::trace_id_ratio(0.25));
  auto bare_ratio = Sampler::trace_id_ratio(0.25);
  for (const TraceId& id : ids) {
    EXPECT_EQ(root_decision(*on, id), kSample);
    EXPECT_EQ(root_decision(*off, id), kDrop);
    EXPECT_EQ(root_decision(*ratio, id), root_decision(*bare_ratio, id));
  }
}

// --- end to end through a tracer ----------------------------------------------------------------

struct Traced {
  explicit Traced(std::shared_ptr<const Sampler> sampler)
      : provider({.sampler = std::move(sampler),
                  .processor = std::make_unique<SimpleSpanProcessor>(memory)}),
        tracer(provider.tracer("sampler-test")) {}
  std::shared_ptr<exporters::InMemorySpanExporter> memory =
      std::make_shared<exporters::InMemorySpanExporter>();
  TracerProvider provider;
  Tracer& tracer;
};

TEST(Sampler, UnsampledParentMakesTheWholeSubtreeUnsampledThroughATracer) {
  Traced t(Sampler::parent_based(Sampler::always_on()));
  for (bool remote : {true, false}) {
    const SpanContext p = parent(false, remote);
    Span child = t.tracer.start("child", {.parent = Context().with_span(p)});
    EXPECT_FALSE(child.is_recording());
    EXPECT_FALSE(child.context().is_sampled());
    EXPECT_EQ(child.context().trace_id(), p.trace_id());
    auto scope = child.activate();
    Span grandchild = t.tracer.start("grandchild");
    EXPECT_FALSE(grandchild.is_recording());
    EXPECT_FALSE(grandchild.context().is_sampled());
    EXPECT_EQ(grandchild.context().trace_id(), p.trace_id());
    t.tracer.trace("helper", [](Span& s) { EXPECT_FALSE(s.is_recording()); });
  }
  EXPECT_EQ(t.memory->size(), 0u);
}

TEST(Sampler, AnUnsampledSpanCarriesItsTraceOnwardWithItsParentsTraceStateAndRandomFlag) {
  Traced t(Sampler::always_off());
  const auto state = std::make_shared<const std::string>("vendor=opaque,other=1");
  for (const std::uint8_t random : {std::uint8_t{0}, SpanContext::kRandomFlag}) {
    for (const auto& parent_state : {state, std::shared_ptr<const std::string>()}) {
      const SpanContext p(IdGenerator::trace_id(), IdGenerator::span_id(), random, true,
                          parent_state);
      Span child = t.tracer.start("child", {.parent = Context().with_span(p)});
      EXPECT_FALSE(child.is_recording());
      const SpanContext& c = child.context();
      EXPECT_TRUE(c.is_valid());
      EXPECT_FALSE(c.is_remote());
      EXPECT_EQ(c.trace_id(), p.trace_id());
      EXPECT_NE(c.span_id(), p.span_id());
      EXPECT_EQ(c.flags(), random);  // not sampled; random only when the parent's sender said so
      EXPECT_EQ(c.trace_state_ptr(), parent_state);
    }
  }
  Span root = t.tracer.start("root", {.parent = Context()});
  EXPECT_TRUE(root.context().is_valid());
  EXPECT_EQ(root.context().flags(), SpanContext::kRandomFlag);
  EXPECT_EQ(root.context().trace_state_ptr(), nullptr);
  EXPECT_EQ(t.memory->size(), 0u);
}

TEST(Sampler, SampledParentIsFollowedEvenWhenTheRootSamplerSaysNo) {
  Traced t(Sampler::parent_based(Sampler::always_off()));
  const SpanContext p = parent(true, true);
  {
    Span child = t.tracer.start("child", {.parent = Context().with_span(p)});
    EXPECT_TRUE(child.is_recording());
    EXPECT_TRUE(child.context().is_sampled());
    auto scope = child.activate();
    t.tracer.start("grandchild").end();
  }
  t.tracer.start("new-root", {.parent = Context()}).end();  // the root sampler: dropped
  const auto spans = t.memory->spans();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].name, "grandchild");
  EXPECT_EQ(spans[1].name, "child");
  EXPECT_TRUE(spans[1].parent_is_remote);
  EXPECT_EQ(spans[1].parent_span_id, p.span_id());
  for (const auto& s : spans) EXPECT_EQ(s.context.trace_id(), p.trace_id());
}

TEST(Sampler, RatioRootDecidesOncePerTraceThroughATracer) {
  // A trace is either wholly sampled or wholly not: children follow their root's decision.
  Traced t(Sampler::parent_based(Sampler::trace_id_ratio(0.5)));
  std::size_t sampled_roots = 0;
  constexpr int kRoots = 400;
  for (int i = 0; i < kRoots; ++i) {
    Span root = t.tracer.start("root");
    auto scope = root.activate();
    Span child = t.tracer.start("child");
    EXPECT_EQ(child.is_recording(), root.is_recording());
    EXPECT_EQ(child.context().is_sampled(), root.context().is_sampled());
    if (root.is_recording()) ++sampled_roots;
  }
  EXPECT_EQ(t.memory->size(), 2 * sampled_roots);
  // 400 roots at 0.5: sigma = 10; five sigma either side.
  EXPECT_GE(sampled_roots, 150u);
  EXPECT_LE(sampled_roots, 250u);
}

// Samples the spans named "keep": a sampler of the application's own, which the tracer must ask.
class KeepByName final : public Sampler {
 public:
  SamplingDecision should_sample(const SpanContext&, const TraceId&, std::string_view name,
                                 SpanKind) const noexcept override {
    return name == "keep" ? kSample : kDrop;
  }
  std::string description() const override { return "KeepByName"; }
};

// The tracer takes the built-in samplers' decisions without asking them (sampler_shortcut.hpp).
// For each sampler, built in or not, each kind of parent, and each way of starting a span, the
// span is sampled exactly when its sampler says so for the ids it got, and its context is the one
// that decision makes.
TEST(Sampler, ATracerDecidesAsItsSamplerWouldForEverySamplerAndParent) {
  const std::vector<std::shared_ptr<const Sampler>> samplers = {
      Sampler::always_on(),
      Sampler::always_off(),
      Sampler::trace_id_ratio(0.5),
      std::make_shared<KeepByName>(),
      Sampler::parent_based(Sampler::always_on()),
      Sampler::parent_based(Sampler::always_off()),
      Sampler::parent_based(Sampler::trace_id_ratio(0.5)),
      Sampler::parent_based(std::make_shared<KeepByName>()),
  };
  const auto state = std::make_shared<const std::string>("vendor=opaque");
  std::vector<SpanContext> parents = {SpanContext()};
  for (const bool sampled : {false, true}) {
    for (const bool remote : {false, true}) {
      for (const auto& parent_state : {std::shared_ptr<const std::string>(), state}) {
        const auto flags = static_cast<std::uint8_t>(sampled ? SpanContext::kSampledFlag : 0);
        parents.emplace_back(IdGenerator::trace_id(), IdGenerator::span_id(), flags, remote,
                             parent_state);
      }
    }
  }
  for (const auto& sampler : samplers) {
    Traced t(sampler);
    std::size_t sampled_spans = 0;
    for (const SpanContext& p : parents) {
      for (const char* name : {"keep", "drop"}) {
        for (int i = 0; i < 20; ++i) {
          auto scope = Context().with_span(p).activate();
          Span spans[] = {t.tracer.start(name), t.tracer.start(name, {.kind = SpanKind::kServer}),
                          t.tracer.start(name, {.parent = Context().with_span(p)})};
          for (const Span& span : spans) {
            const SpanContext& c = span.context();
            const bool expected =
                sampler->should_sample(p, c.trace_id(), name, SpanKind::kInternal) == kSample;
            ASSERT_EQ(span.is_recording(), expected)
                << sampler->description() << " parent " << p.is_valid() << p.is_sampled()
                << p.is_remote() << " " << name;
            ASSERT_EQ(c.is_sampled(), expected);
            ASSERT_TRUE(c.is_valid());
            ASSERT_FALSE(c.is_remote());
            if (p.is_valid()) {
              ASSERT_EQ(c.trace_id(), p.trace_id());
              ASSERT_NE(c.span_id(), p.span_id());
              ASSERT_EQ(c.flags() & SpanContext::kRandomFlag, p.flags() & SpanContext::kRandomFlag);
              ASSERT_EQ(c.trace_state_ptr(), p.trace_state_ptr());
            } else {
              ASSERT_NE(c.flags() & SpanContext::kRandomFlag, 0);
              ASSERT_EQ(c.trace_state_ptr(), nullptr);
            }
            if (expected) ++sampled_spans;
          }
        }
      }
    }
    EXPECT_EQ(t.memory->size(), sampled_spans) << sampler->description();
  }
}

// --- OTEL_TRACES_SAMPLER names ------------------------------------------------------------------

TEST(Sampler, FromNameKnowsEveryOtelTracesSamplerValue) {
  struct Case {
    const char* name;
    const char* arg;
    const char* description;
  };
  const Case cases[] = {
      {"always_on", "", "AlwaysOnSampler"},
      {"always_off", "", "AlwaysOffSampler"},
      {"traceidratio", "0.25", "TraceIdRatioBased{0.250000}"},
      {"traceidratio", "", "TraceIdRatioBased{1.000000}"},  // the spec's default arg
      {"traceidratio", "0", "TraceIdRatioBased{0.000000}"},
      {"traceidratio", "1", "TraceIdRatioBased{1.000000}"},
      {"parentbased_always_on", "", "ParentBased{root=AlwaysOnSampler}"},
      {"parentbased_always_off", "", "ParentBased{root=AlwaysOffSampler}"},
      {"parentbased_traceidratio", "0.5", "ParentBased{root=TraceIdRatioBased{0.500000}}"},
      {"parentbased_traceidratio", "", "ParentBased{root=TraceIdRatioBased{1.000000}}"},
  };
  for (const Case& c : cases) {
    std::shared_ptr<const Sampler> sampler;
    ASSERT_NO_THROW(sampler = Sampler::from_name(c.name, c.arg)) << c.name << " " << c.arg;
    ASSERT_NE(sampler, nullptr);
    EXPECT_EQ(sampler->description(), c.description) << c.name << " '" << c.arg << "'";
  }
}

TEST(Sampler, FromNameBuildsSamplersThatBehaveAsNamed) {
  const auto ids = random_trace_ids(1000);
  auto on = Sampler::from_name("always_on", "");
  auto off = Sampler::from_name("always_off", "");
  auto ratio = Sampler::from_name("traceidratio", "0.25");
  auto reference = Sampler::trace_id_ratio(0.25);
  for (const TraceId& id : ids) {
    EXPECT_EQ(root_decision(*on, id), kSample);
    EXPECT_EQ(root_decision(*off, id), kDrop);
    EXPECT_EQ(root_decision(*ratio, id), root_decision(*reference, id));
  }
  auto pb_off = Sampler::from_name("parentbased_always_off", "");
  const SpanContext p = parent(true, true);
  EXPECT_EQ(pb_off->should_sample(p, p.trace_id(), "op", SpanKind::kServer), kSample);
  EXPECT_EQ(root_decision(*pb_off, ids[0]), kDrop);
}

TEST(Sampler, FromNameRejectsUnknownNamesWithAnErrorThatListsTheValidOnes) {
  for (const char* name :
       {"sometimes", "always-on", "traceid_ratio", "parentbased", "jaeger_remote"}) {
    try {
      (void)Sampler::from_name(name, "");
      ADD_FAILURE() << "no error for " << name;
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(name), std::string::npos) << message;
      EXPECT_NE(message.find("parentbased_traceidratio"), std::string::npos) << message;
    }
  }
}

TEST(Sampler, FromNameRejectsBadRatioArgumentsWithAnError) {
  for (const char* name : {"traceidratio", "parentbased_traceidratio"}) {
    for (const char* arg : {"2", "-0.1", "abc", "1.0001", "0.5x", "nan", "inf"}) {
      try {
        (void)Sampler::from_name(name, arg);
        ADD_FAILURE() << "no error for " << name << " with '" << arg << "'";
      } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(arg), std::string::npos) << e.what();
      }
    }
  }
}

TEST(Sampler, FromNameIgnoresTheArgumentOfSamplersThatTakeNone) {
  EXPECT_EQ(Sampler::from_name("always_on", "0.5")->description(), "AlwaysOnSampler");
  EXPECT_EQ(Sampler::from_name("parentbased_always_off", "abc")->description(),
            "ParentBased{root=AlwaysOffSampler}");
}

}  // namespace
}  // namespace lumen::trace
