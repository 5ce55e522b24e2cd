// A vendor changing its own tracestate member, against W3C Trace Context's section "Mutating the
// tracestate Field".
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "lumen/core/error.hpp"
#include "lumen/trace/propagation.hpp"
#include "lumen/trace/tracestate.hpp"

namespace lumen::propagation {
namespace {

// A list of `n` members k0=v0,k1=v1,...
std::string members(int n) {
  std::string list;
  for (int i = 0; i < n; ++i) {
    if (!list.empty()) list += ',';
    list += "k" + std::to_string(i) + "=v" + std::to_string(i);
  }
  return list;
}

// "Adding a new key/value pair: The new key/value pair SHOULD be added to the beginning of the
// list."
TEST(TraceStateMutation, ANewMemberGoesToTheBeginning) {
  EXPECT_EQ(tracestate_with("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7", "lumen", "r:1"),
            "lumen=r:1,congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
  EXPECT_EQ(tracestate_with("", "lumen", "r:1"), "lumen=r:1");
}

// "Updating an existing value: [...] The modified key/value pair MUST be moved to the beginning of
// the list", and only one member per key remains.
TEST(TraceStateMutation, AnUpdatedMemberMovesToTheBeginningAndIsNotRepeated) {
  EXPECT_EQ(tracestate_with("congo=a,lumen=old,rojo=b", "lumen", "new"),
            "lumen=new,congo=a,rojo=b");
}

// "Deleting a key/value pair: Deleted key/value pair MUST be removed from the list."
TEST(TraceStateMutation, ADeletedMemberIsRemovedAndTheRestKeepTheirOrder) {
  EXPECT_EQ(tracestate_without("congo=a,lumen=x,rojo=b", "lumen"), "congo=a,rojo=b");
  EXPECT_EQ(tracestate_without("congo=a", "lumen"), "congo=a");
  EXPECT_EQ(tracestate_without("lumen=x", "lumen"), "");
}

// "If adding an entry would cause the tracestate list to contain more than 32 list-members the
// right-most list-member should be removed from the list."
TEST(TraceStateMutation, AddingTo32MembersRemovesTheRightMostOne) {
  const std::string added = tracestate_with(members(32), "lumen", "x");
  EXPECT_TRUE(added.starts_with("lumen=x,k0=v0,"));
  EXPECT_EQ(added.find("k31="), std::string::npos);
  EXPECT_NE(added.find(",k30=v30"), std::string::npos);
  EXPECT_TRUE(is_valid_tracestate(added));
  // Updating a member of a full list keeps all 32.
  const std::string updated = tracestate_with(members(32), "k31", "new");
  EXPECT_TRUE(updated.starts_with("k31=new,k0=v0,"));
  EXPECT_TRUE(updated.ends_with(",k30=v30"));
}

// The key and value grammars of the section "Tracestate Header" hold for what a vendor adds.
TEST(TraceStateMutation, AMemberThatBreaksTheGrammarIsRefused) {
  EXPECT_THROW((void)tracestate_with("a=1", "Upper", "x"), Error);
  EXPECT_THROW((void)tracestate_with("a=1", "lumen", "a=b"), Error);  // '=' in a value
  EXPECT_THROW((void)tracestate_with("a=1", "lumen", "a,b"), Error);  // ',' in a value
  EXPECT_THROW((void)tracestate_with("a=1", "lumen", "x "), Error);   // trailing space
  EXPECT_THROW((void)tracestate_with("a=1", "lumen", ""), Error);     // empty value
  EXPECT_THROW((void)tracestate_with("a=1", "", "x"), Error);
  EXPECT_EQ(tracestate_with("a=1", "t@vendor", "x y"), "t@vendor=x y,a=1");
}

// An invalid received list is not sent on, whole or in part; the vendor's member still is.
TEST(TraceStateMutation, AnInvalidReceivedListIsReplacedByTheVendorsMember) {
  EXPECT_EQ(tracestate_with("a=1,B=2", "lumen", "x"), "lumen=x");
  EXPECT_EQ(tracestate_without("a=1,B=2", "a"), "");
}

TEST(TraceStateMutation, AValueIsReadByItsKey) {
  EXPECT_EQ(tracestate_value("congo=a, lumen=r:1 ,rojo=b", "lumen"), "r:1");
  EXPECT_EQ(tracestate_value("congo=a", "lumen"), std::nullopt);
  EXPECT_EQ(tracestate_value("congo=a,B=2", "congo"), std::nullopt);  // the list is invalid
}

// End to end: received, changed by this service, and sent on with the same trace and parent.
TEST(TraceStateMutation, AChangedListIsSentOnWithTheReceivedTraceParent) {
  const std::string parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const Context received = extract(std::map<std::string, std::string>{
      {"traceparent", parent}, {"tracestate", "congo=t61rcWkgMzE, lumen=old"}});
  const SpanContext span = received.span();
  const SpanContext changed =
      with_trace_state(span, tracestate_with(span.trace_state(), "lumen", "new"));
  std::map<std::string, std::string> out;
  inject(received.with_span(changed), out);
  EXPECT_EQ(out["traceparent"], parent);
  EXPECT_EQ(out["tracestate"], "lumen=new,congo=t61rcWkgMzE");
  // Emptied, the header is not sent at all.
  std::map<std::string, std::string> none;
  inject(received.with_span(with_trace_state(span, "")), none);
  EXPECT_EQ(none.count("tracestate"), 0u);
  EXPECT_EQ(none["traceparent"], parent);
}

}  // namespace
}  // namespace lumen::propagation
