#include "lumen/core/attributes.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <new>
#include <string>
#include <vector>

#include "allocation_failure.hpp"

namespace lumen {
namespace {

TEST(Attributes, SetReplacesAnExistingKeyInPlace) {
  Attributes attrs{{"a", 1}, {"b", "x"}};
  attrs.set("a", to_attribute_value(2));
  ASSERT_EQ(attrs.size(), 2u);
  EXPECT_EQ(attrs[0].key, "a");
  EXPECT_EQ(std::get<std::int64_t>(*attrs.find("a")), 2);
  attrs.set("a", to_attribute_value("now a string"));
  EXPECT_EQ(std::get<std::string>(*attrs.find("a")), "now a string");
  EXPECT_EQ(attrs.size(), 2u);
}

TEST(Attributes, SetAppendsNewKeysInOrder) {
  Attributes attrs;
  attrs.set("z", to_attribute_value(true));
  attrs.set("a", to_attribute_value(1.5));
  ASSERT_EQ(attrs.size(), 2u);
  EXPECT_EQ(attrs[0].key, "z");
  EXPECT_EQ(attrs[1].key, "a");
  std::vector<std::string> keys;
  for (const Attribute& a : attrs) keys.push_back(a.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"z", "a"}));
}

TEST(Attributes, InitializerListWithDuplicateKeysKeepsTheLast) {
  const Attributes attrs{{"k", 1}, {"k", 2}};
  ASSERT_EQ(attrs.size(), 1u);
  EXPECT_EQ(std::get<std::int64_t>(*attrs.find("k")), 2);
}

TEST(Attributes, FindReturnsNullForAMissingKey) {
  const Attributes attrs{{"present", 1}};
  EXPECT_EQ(attrs.find("absent"), nullptr);
  EXPECT_FALSE(attrs.contains("absent"));
  EXPECT_TRUE(attrs.contains("present"));
}

TEST(Attributes, ClearForgetsEveryKey) {
  Attributes attrs{{"a", 1}, {"b", 2}};
  attrs.clear();
  EXPECT_TRUE(attrs.empty());
  EXPECT_EQ(attrs.find("a"), nullptr);
  attrs.set("c", to_attribute_value(3));
  EXPECT_EQ(attrs.size(), 1u);
  EXPECT_EQ(attrs.find("a"), nullptr);
  EXPECT_EQ(std::get<std::int64_t>(*attrs.find("c")), 3);
}

TEST(Attributes, AClearedAndRefilledListEqualsAFreshOne) {
  Attributes recycled{{"x", 1}, {"y", 2}, {"z", 3}};
  recycled.clear();
  recycled.set("x", to_attribute_value(1));
  EXPECT_EQ(recycled, (Attributes{{"x", 1}}));
  const Attributes copy = recycled;
  EXPECT_EQ(copy.size(), 1u);
  EXPECT_EQ(copy.find("y"), nullptr);
}

// Refilling reuses the kept entries first, then grows: every way of appending lands in order.
TEST(Attributes, ARecycledListGrowsPastTheEntriesItKept) {
  Attributes list{{"a", 1}, {"b", "two"}};
  list.clear();
  list.append_string_unchecked("b", "deux");
  list.append_scalar_unchecked("c", true);
  list.set_string("d", "quatre");
  list.append_scalar_unchecked("e", std::int64_t{5});
  EXPECT_EQ(list, (Attributes{{"b", "deux"}, {"c", true}, {"d", "quatre"}, {"e", 5}}));
  EXPECT_EQ(list.find("a"), nullptr);
}

// A growth that runs out of memory leaves the list as it was, and usable.
TEST(Attributes, AGrowthThatFailsLeavesTheListAsItWas) {
  Attributes list{{"a", 1}};  // room for exactly one entry
  lumen::testing::fail_next_allocation();
  EXPECT_THROW(list.append_scalar_unchecked("b", true), std::bad_alloc);
  EXPECT_EQ(list.size(), 1u);
  EXPECT_EQ(list, (Attributes{{"a", 1}}));
  list.append_scalar_unchecked("b", true);
  EXPECT_EQ(list, (Attributes{{"a", 1}, {"b", true}}));
}

TEST(Attributes, CopiesAreEqualAndIndependent) {
  const Attributes original{{"a", 1}, {"b", "x"}};
  Attributes copy = original;
  EXPECT_EQ(copy, original);
  copy.set("a", to_attribute_value(9));
  EXPECT_NE(copy, original);
  EXPECT_EQ(std::get<std::int64_t>(*original.find("a")), 1);
}

TEST(AttributeValue, StringLiteralBecomesAStringNotABool) {
  const AttributeValue v = to_attribute_value("gemini-2.0-flash");
  ASSERT_TRUE(std::holds_alternative<std::string>(v));
  EXPECT_EQ(std::get<std::string>(v), "gemini-2.0-flash");
  const Attribute a{"ai.model", "gemini"};
  EXPECT_TRUE(std::holds_alternative<std::string>(a.value));
  const char* pointer = "p";
  EXPECT_TRUE(std::holds_alternative<std::string>(to_attribute_value(pointer)));
  EXPECT_TRUE(std::holds_alternative<std::string>(to_attribute_value(std::string_view("sv"))));
}

TEST(AttributeValue, EveryIntegerTypeBecomesInt64) {
  EXPECT_EQ(std::get<std::int64_t>(to_attribute_value(812)), 812);
  EXPECT_EQ(std::get<std::int64_t>(to_attribute_value(static_cast<short>(-3))), -3);
  EXPECT_EQ(std::get<std::int64_t>(to_attribute_value(7u)), 7);
  EXPECT_EQ(std::get<std::int64_t>(to_attribute_value(std::uint16_t{65535})), 65535);
  EXPECT_EQ(std::get<std::int64_t>(to_attribute_value(-9'000'000'000LL)), -9'000'000'000LL);
  EXPECT_EQ(std::get<std::int64_t>(to_attribute_value(std::size_t{42})), 42);
}

TEST(AttributeValue, BoolStaysBoolAndFloatsBecomeDouble) {
  EXPECT_TRUE(std::holds_alternative<bool>(to_attribute_value(false)));
  EXPECT_EQ(std::get<double>(to_attribute_value(0.5f)), 0.5);
  EXPECT_EQ(std::get<double>(to_attribute_value(2.25)), 2.25);
}

TEST(AttributeValue, VectorsKeepTheirElementType) {
  EXPECT_EQ(
      std::get<std::vector<std::string>>(to_attribute_value(std::vector<std::string>{"a", "b"})),
      (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(std::get<std::vector<bool>>(to_attribute_value(std::vector<bool>{true, false})),
            (std::vector<bool>{true, false}));
  EXPECT_EQ(
      std::get<std::vector<std::int64_t>>(to_attribute_value(std::vector<std::int64_t>{1, 2})),
      (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(std::get<std::vector<double>>(to_attribute_value(std::vector<double>{0.5})),
            (std::vector<double>{0.5}));
  const Attributes attrs{{"tags", std::vector<std::string>{"x", "y"}}};
  EXPECT_TRUE(std::holds_alternative<std::vector<std::string>>(*attrs.find("tags")));
}

TEST(AttributeValue, ToStringRendersEachType) {
  EXPECT_EQ(to_string(to_attribute_value(3)), "3");
  EXPECT_EQ(to_string(to_attribute_value(true)), "true");
  EXPECT_EQ(to_string(to_attribute_value(std::vector<std::int64_t>{1, 2})), "[1,2]");
  EXPECT_NE(to_string(to_attribute_value("x")).find('x'), std::string::npos);
}

}  // namespace
}  // namespace lumen
