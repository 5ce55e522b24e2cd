// The tracestate header against the rules of W3C Trace Context (section "Tracestate Header").
#include <gtest/gtest.h>

#include <cstddef>
#include <map>
#include <string>

#include "lumen/trace/propagation.hpp"

namespace lumen::propagation {
namespace {

const std::string kReceivedTraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

// What a service that continues the trace sends on: the tracestate that extract keeps.
std::string propagated(const std::string& tracestate) {
  const Context context = extract(std::map<std::string, std::string>{
      {"traceparent", kReceivedTraceParent}, {"tracestate", tracestate}});
  std::map<std::string, std::string> out;
  inject(context, out);
  return out.count("tracestate") ? out["tracestate"] : std::string("<none>");
}

// "The caller SHOULD generate the optional whitespace as a single space; otherwise, a caller
// SHOULD NOT generate optional whitespace", and "Vendors [...] SHOULD avoid sending" empty headers.
TEST(TraceStateRules, SentWithoutOptionalWhitespaceOrEmptyMembers) {
  EXPECT_EQ(propagated("a=1 ,\tb=2"), "a=1,b=2");
  EXPECT_EQ(propagated("a=1,,b=2"), "a=1,b=2");
  EXPECT_EQ(propagated(" , a=1 , \t, b=2 ,"), "a=1,b=2");
  EXPECT_EQ(propagated(" , ,"), "<none>");
  EXPECT_EQ(propagated(""), "<none>");
}

// "all leading spaces MUST be preserved as part of the value and all trailing spaces are
// considered to be optional whitespace".
TEST(TraceStateRules, ValueKeepsInnerSpacesAndLosesTrailingOnes) {
  EXPECT_EQ(propagated("a=x y  ,b=2"), "a=x y,b=2");
}

std::string numbered_members(std::size_t first, std::size_t count, std::size_t value_length = 1) {
  std::string out;
  for (std::size_t i = first; i < first + count; ++i) {
    if (!out.empty()) out += ',';
    out += "k" + std::to_string(i) + "=" + std::string(value_length, 'v');
  }
  return out;
}

// "Only one entry per key is allowed": the first (left-most, the latest position) is kept, the
// repeated key is dropped, and the rest of the list survives.
TEST(TraceStateRules, ARepeatedKeyKeepsTheFirstEntryAndTheRestOfTheList) {
  EXPECT_EQ(propagated("congo=2,rojo=1,congo=1,x=9"), "congo=2,rojo=1,x=9");
}

// "There can be a maximum of 32 list-members": a longer list loses members from the end.
TEST(TraceStateRules, MoreThan32MembersAreCutFromTheEnd) {
  EXPECT_EQ(propagated(numbered_members(0, 32)), numbered_members(0, 32));
  EXPECT_EQ(propagated(numbered_members(0, 40)), numbered_members(0, 32));
}

// "Vendors SHOULD propagate at least 512 characters of a combined header [...] the vendor MUST
// truncate whole entries. Entries larger than 128 characters long SHOULD be removed first. Then
// entries SHOULD be removed starting from the end".
TEST(TraceStateRules, Over512CharactersRemovesEntriesOver128CharactersFirst) {
  const std::string long_entry = "long=" + std::string(130, 'x');  // 135 characters
  const std::string shorts = numbered_members(0, 4, 100);          // 4 x 103 + 3 commas = 415
  EXPECT_EQ(propagated(shorts + "," + long_entry), shorts);
  EXPECT_EQ(propagated(long_entry + "," + shorts), shorts);
  // A list within 512 characters keeps its long entries.
  EXPECT_EQ(propagated(long_entry + ",a=1"), long_entry + ",a=1");
}

TEST(TraceStateRules, Over512CharactersWithoutLongEntriesCutsFromTheEnd) {
  const std::string five = numbered_members(0, 5, 100);  // 5 x 103 + 4 commas = 519
  EXPECT_EQ(propagated(five), numbered_members(0, 4, 100));
  EXPECT_EQ(propagated(numbered_members(0, 4, 100)).size(), 415u);
}

TEST(TraceStateRules, ExactlyTheFirst512CharactersAreKept) {
  const std::string three = numbered_members(0, 3, 125);  // 3 x 128 + 2 commas = 386
  const std::string exactly_512 = three + ",z=" + std::string(123, 'w');
  ASSERT_EQ(exactly_512.size(), 512u);
  EXPECT_EQ(propagated(exactly_512), exactly_512);
  EXPECT_EQ(propagated(three + ",z=" + std::string(124, 'w')), three);  // 513: the last one goes
}

// The key grammar of the current text: "key = ( lcalpha / DIGIT ) 0*255 ( keychar )" with
// keychar = lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@".
TEST(TraceStateRules, KeysFollowTheCurrentGrammar) {
  for (const std::string& key : {
           std::string("1abc"),  // digit first
           std::string("foo@"),  // '@' anywhere
           std::string("a@b@c"),
           std::string("t@1sys"),           // digit after '@'
           std::string(242, 't') + "@sys",  // tenant part over 241 characters
           "t@" + std::string(15, 's'),     // vendor part over 14 characters
           "9" + std::string(255, '@'),     // 256 characters
           std::string("tenant1@vendor"),
           std::string("k_-*/9"),
       }) {
    SCOPED_TRACE(key.substr(0, 40));
    EXPECT_TRUE(is_valid_tracestate(key + "=v"));
    EXPECT_EQ(propagated(key + "=v"), key + "=v");
  }
  for (const std::string& key : {
           std::string("@sys"), std::string("_k"), std::string("Upper"), std::string("a.b"),
           std::string("a b"), "9" + std::string(256, 'a'),  // 257 characters
       }) {
    SCOPED_TRACE(key.substr(0, 40));
    EXPECT_FALSE(is_valid_tracestate(key + "=v"));
    EXPECT_EQ(propagated(key + "=v"), "<none>");
  }
}

}  // namespace
}  // namespace lumen::propagation
