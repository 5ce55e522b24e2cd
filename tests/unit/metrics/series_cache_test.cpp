// The per-thread cache of attribute sets in front of an instrument's series table: whatever it
// remembers, each measurement must land where the full lookup would put it.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lumen/metrics/meter.hpp"
#include "metric_named.hpp"

namespace lumen::metrics {
namespace {

std::int64_t series_value(const MetricData& m, std::string_view key, const AttributeValue& v) {
  for (const NumberPoint& p : m.number_points) {
    const AttributeValue* got = p.attributes.find(key);
    if (got != nullptr && *got == v) return p.int_value;
  }
  return -1;
}

TEST(SeriesCache, AStringChangedInPlaceGoesToTheSeriesOfItsNewContent) {
  MeterProvider provider;
  auto c = provider.meter("t").create_counter<std::int64_t>("c");
  std::string model = "aaaa";
  c.add(1, {{"model", model}});
  model[0] = 'b';  // same buffer, same length, other content
  c.add(10, {{"model", model}});
  c.add(100, {{"model", std::string("aaaa")}});  // other buffer, first content
  const MetricsSnapshot snap = provider.collect();
  const MetricData& m = metric_named(snap, "c");
  ASSERT_EQ(m.number_points.size(), 2u);
  EXPECT_EQ(series_value(m, "model", std::string("aaaa")), 101);
  EXPECT_EQ(series_value(m, "model", std::string("baaa")), 10);
}

TEST(SeriesCache, AnInstrumentCreatedWhereADeadOneWasStartsWithNoSeries) {
  // Each provider's instrument is freed before the next one is allocated, usually at the same
  // address; a cache entry that still named the dead one's series would take these adds.
  for (int round = 0; round < 5; ++round) {
    MeterProvider provider;
    auto c = provider.meter("t").create_counter<std::int64_t>("c");
    c.add(1, {{"k", "v"}, {"n", 7}});
    c.add(2, {{"k", "v"}, {"n", 7}});
    const MetricsSnapshot snap = provider.collect();
    const MetricData& m = metric_named(snap, "c");
    ASSERT_EQ(m.number_points.size(), 1u) << "round " << round;
    EXPECT_EQ(m.number_points[0].int_value, 3) << "round " << round;
  }
}

TEST(SeriesCache, InstrumentsWithTheSameAttributesKeepTheirOwnSeries) {
  MeterProvider provider;
  auto a = provider.meter("t").create_counter<std::int64_t>("a");
  auto b = provider.meter("t").create_counter<std::int64_t>("b");
  for (int i = 0; i < 10; ++i) {
    a.add(1, {{"k", "v"}});
    b.add(2, {{"k", "v"}});
  }
  const MetricsSnapshot snap = provider.collect();
  EXPECT_EQ(metric_named(snap, "a").number_points[0].int_value, 10);
  EXPECT_EQ(metric_named(snap, "b").number_points[0].int_value, 20);
}

TEST(SeriesCache, EveryMeasurementPastTheLimitIsCountedAsOverflow) {
  MeterProvider provider({.cardinality_limit = 1});
  auto c = provider.meter("t").create_counter<std::int64_t>("c");
  c.add(1, {{"user", 1}});
  // The first set past the limit is the overflow series' own attributes: the series it lands in
  // has them, yet each of these is a measurement past the limit, to be counted.
  for (int i = 0; i < 3; ++i) c.add(1, {{"otel_metric_overflow", true}});
  for (int i = 0; i < 5; ++i) c.add(1, {{"user", 2}});  // the same new set, again and again
  c.add(1, {{"user", 1}});
  const MetricsSnapshot snap = provider.collect();
  const MetricData& m = metric_named(snap, "c");
  EXPECT_EQ(m.overflowed_measurements, 8u);
  EXPECT_EQ(series_value(m, "otel_metric_overflow", true), 8);
  EXPECT_EQ(series_value(m, "user", std::int64_t{1}), 2);
}

TEST(SeriesCache, OrderTypesRepeatedKeysAndLongListsResolveAsTheFullLookupDoes) {
  MeterProvider provider;
  auto c = provider.meter("t").create_counter<std::int64_t>("c");
  for (int i = 0; i < 3; ++i) {
    c.add(1, {{"a", 1}, {"b", 2}});
    c.add(1, {{"b", 2}, {"a", 1}});
    c.add(10, {{"a", 1}, {"a", 1}});             // one key: another set
    c.add(100, {{"b", 2}, {"a", 9}, {"a", 1}});  // the last "a" wins: the first set
    c.add(1000, {{"a", true}, {"b", 2}});        // same raw word as 1, other type
    c.add(10000, {{"a", 1.0}, {"b", 2}});
  }
  std::vector<KeyValue> many;
  const std::vector<std::string> keys = {"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8"};
  for (const std::string& k : keys) many.push_back({k, 1});
  for (int i = 0; i < 3; ++i) c.add(1, many);  // past the cache's attribute count
  many.pop_back();
  for (int i = 0; i < 3; ++i) c.add(1, many);  // exactly at it
  std::vector<KeyValue> reversed(many.rbegin(), many.rend());
  for (int i = 0; i < 3; ++i) c.add(1, reversed);

  const MetricsSnapshot snap = provider.collect();
  const MetricData& m = metric_named(snap, "c");
  std::optional<std::int64_t> first, only_a, as_bool, as_double, nine, eight;
  for (const NumberPoint& p : m.number_points) {
    const AttributeValue* a = p.attributes.find("a");
    if (p.attributes.size() == 9) nine = p.int_value;
    if (p.attributes.size() == 8) eight = p.int_value;
    if (a == nullptr) continue;
    if (*a == AttributeValue(std::int64_t{1}))
      (p.attributes.size() == 2 ? first : only_a) = p.int_value;
    if (*a == AttributeValue(true)) as_bool = p.int_value;
    if (*a == AttributeValue(1.0)) as_double = p.int_value;
  }
  EXPECT_EQ(m.number_points.size(), 6u);
  EXPECT_EQ(first, 3 * 102);
  EXPECT_EQ(only_a, 30);
  EXPECT_EQ(as_bool, 3000);
  EXPECT_EQ(as_double, 30000);
  EXPECT_EQ(nine, 3);
  EXPECT_EQ(eight, 6);
}

TEST(SeriesCache, DroppedKeysStillMapCallSitesToTheFilteredSet) {
  MeterProvider provider({.views = {View{.instrument_name = "c", .drop_keys = {"user"}}}});
  auto c = provider.meter("t").create_counter<std::int64_t>("c");
  for (int i = 0; i < 3; ++i) {
    c.add(1, {{"k", "v"}});
    c.add(1, {{"user", "u1"}, {"k", "v"}});
    c.add(1, {{"user", "u2"}, {"k", "v"}});
  }
  const MetricsSnapshot snap = provider.collect();
  const MetricData& m = metric_named(snap, "c");
  ASSERT_EQ(m.number_points.size(), 1u);
  EXPECT_EQ(m.number_points[0].int_value, 9);
}

}  // namespace
}  // namespace lumen::metrics
