// Header fields sent on several lines: every line counts (RFC 9110 section 5.3; W3C Trace Context,
// "tracestate Header Field Values"; W3C Baggage, "Header Name" and its multi-header example).
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lumen/trace/propagation.hpp"

namespace lumen::propagation {
namespace {

using HeaderLines = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view kFirst = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
constexpr std::string_view kSecond = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

TEST(RepeatedHeaders, TwoTraceParentLinesAreInvalidSoANewTraceStarts) {
  const HeaderLines headers{{"traceparent", std::string(kFirst)},
                            {"traceparent", std::string(kSecond)}};
  EXPECT_FALSE(extract(headers).span().is_valid());
}

TEST(RepeatedHeaders, TraceParentLinesDifferingOnlyInNameCaseAreRepeated) {
  const std::map<std::string, std::string> headers{{"traceparent", std::string(kFirst)},
                                                   {"TraceParent", std::string(kFirst)}};
  EXPECT_FALSE(extract(headers).span().is_valid());
}

TEST(RepeatedHeaders, TraceStateLinesAreJoinedWithCommasInOrder) {
  const HeaderLines headers{
      {"traceparent", std::string(kFirst)}, {"tracestate", "foo=1"}, {"TraceState", "bar=2"}};
  EXPECT_EQ(extract(headers).span().trace_state(), "foo=1,bar=2");
}

TEST(RepeatedHeaders, BaggageLinesAreJoinedWithCommas) {
  // The W3C Baggage example: one context split over two lines.
  const HeaderLines headers{{"baggage", "userId=alice"},
                            {"baggage", "serverNode=DF%2028,isProduction=false"}};
  const Baggage baggage = extract(headers).baggage();
  EXPECT_EQ(baggage.get("userId"), "alice");
  EXPECT_EQ(baggage.get("serverNode"), "DF 28");
  EXPECT_EQ(baggage.get("isProduction"), "false");
}

TEST(RepeatedHeaders, EveryStandardContainerReturnsEveryLine) {
  const HeaderLines lines{{"a", "1"}, {"B", "2"}, {"c", "3"}, {"b", "4"}};
  EXPECT_EQ(detail::find_all_headers(lines, "b"), (std::vector<std::string_view>{"2", "4"}));
  const std::map<std::string, std::string> map{{"B", "2"}, {"b", "4"}};
  EXPECT_EQ(detail::find_all_headers(map, "b"), (std::vector<std::string_view>{"2", "4"}));
  const std::unordered_map<std::string, std::string> unordered{{"b", "4"}};
  EXPECT_EQ(detail::find_all_headers(unordered, "b"), (std::vector<std::string_view>{"4"}));
  EXPECT_TRUE(detail::find_all_headers(lines, "d").empty());
}

// A carrier written before get_all existed: it keeps compiling and works through get().
class SingleValueCarrier final : public TextMapGetter {
 public:
  [[nodiscard]] std::optional<std::string_view> get(std::string_view key) const override {
    if (key == kTraceParentHeader) return kFirst;
    if (key == kBaggageHeader) return std::string_view("userId=alice");
    return std::nullopt;
  }
};

TEST(RepeatedHeaders, ACarrierWithOnlyGetStillWorks) {
  const SingleValueCarrier carrier;
  EXPECT_EQ(carrier.get_all(kTraceParentHeader), (std::vector<std::string_view>{kFirst}));
  EXPECT_TRUE(carrier.get_all(kTraceStateHeader).empty());
  const Context context = extract(carrier);
  EXPECT_TRUE(context.span().is_valid());
  EXPECT_EQ(context.baggage().get("userId"), "alice");
}

}  // namespace
}  // namespace lumen::propagation
