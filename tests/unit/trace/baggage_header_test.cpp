// The baggage header against the rules of W3C Baggage ("Header Content", "Limits", "Mutating
// baggage"), with the specification's own examples.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "lumen/trace/propagation.hpp"

namespace lumen::propagation {
namespace {

// "Leading and trailing OWS is allowed but MUST be trimmed when converting the header into a data
// structure" (of keys, values and properties).
TEST(BaggageRules, PropertiesAreStoredWithoutOptionalWhitespace) {
  const Baggage bag = parse_baggage("k = v ;\tp1 ; p2 = v2\t;p3=v3");
  ASSERT_EQ(bag.entries().size(), 1u);
  EXPECT_EQ(bag.entries()[0], (Baggage::Entry{"k", "v", "p1;p2=v2;p3=v3"}));
  // And written without it.
  EXPECT_EQ(format_baggage(Baggage{}.with("k", "v", " a = 1 ; b ")), "k=v;a=1;b");
}

// The specification's example: 3 list-members, properties with and without values.
TEST(BaggageRules, TheSpecificationsExampleHeaderParses) {
  const Baggage bag = parse_baggage(
      "key1=value1;property1;property2, key2 = value2, key3=value3; propertyKey=propertyValue");
  ASSERT_EQ(bag.entries().size(), 3u);
  EXPECT_EQ(bag.entries()[0], (Baggage::Entry{"key1", "value1", "property1;property2"}));
  EXPECT_EQ(bag.entries()[1], (Baggage::Entry{"key2", "value2", ""}));
  EXPECT_EQ(bag.entries()[2], (Baggage::Entry{"key3", "value3", "propertyKey=propertyValue"}));
}

// "Assume we want to propagate these entries: userId="alice", serverNode="DF 28",
// isProduction=false" -> "baggage: userId=alice,serverNode=DF%2028,isProduction=false".
TEST(BaggageRules, TheSpecificationsEntriesAreWrittenAsItsHeader) {
  const Baggage bag =
      Baggage{}.with("userId", "alice").with("serverNode", "DF 28").with("isProduction", "false");
  EXPECT_EQ(format_baggage(bag), "userId=alice,serverNode=DF%2028,isProduction=false");
  EXPECT_EQ(parse_baggage("userId =   alice, serverNode = DF%2028, isProduction = false"), bag);
}

// "value MAY contain any number of the equal sign (=) characters. Parsers MUST NOT assume that the
// equal sign is only used to separate key and value."
TEST(BaggageRules, ValuesMayContainEqualSigns) {
  EXPECT_EQ(parse_baggage("token=a=b==").get("token"), "a=b==");
  EXPECT_EQ(parse_baggage(format_baggage(Baggage{}.with("k", "x=y"))).get("k"), "x=y");
}

// "A platform MUST propagate at least 64 list-members" and "a baggage-string of at least 8192
// bytes": 64 members filling 8191 bytes go through extract and inject whole.
TEST(BaggageRules, SixtyFourMembersOf8192BytesArePropagatedWhole) {
  std::string header;
  for (int i = 0; i < 64; ++i) {
    char key[4];
    std::snprintf(key, sizeof key, "k%02d", i);
    if (!header.empty()) header += ',';
    header += std::string(key) + "=" + std::string(123, 'v');  // 127 bytes
  }
  ASSERT_EQ(header.size(), 8191u);
  std::map<std::string, std::string> out;
  inject(extract(std::map<std::string, std::string>{{"baggage", header}}), out);
  EXPECT_EQ(out["baggage"], header);
}

// "If a system determines that the value of a baggage entry is not in the format defined in this
// specification, it MAY remove that entry": the others go on.
TEST(BaggageRules, AnInvalidMemberIsRemovedAndTheOthersGoOn) {
  std::map<std::string, std::string> out;
  inject(extract(std::map<std::string, std::string>{
             {"baggage", "a=1,bad key=2,b=x\"y,c=3;bad prop=1,d=4"}}),
         out);
  EXPECT_EQ(out["baggage"], "a=1,d=4");
}

}  // namespace
}  // namespace lumen::propagation
