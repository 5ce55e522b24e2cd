#include "export/otlp_response.hpp"

#include <gtest/gtest.h>

#include <string>

#include "byte_string.hpp"

namespace lumen::exporters::detail {
namespace {

TEST(OtlpResponse, ReadsAProtobufPartialSuccess) {
  // ExportTraceServiceResponse{partial_success(1){rejected_spans(1)=3, error_message(2)="bad"}}
  const std::string body = bytes({0x0A, 0x07, 0x08, 0x03, 0x12, 0x03}) + "bad";
  const auto p = parse_partial_success(body, /*json=*/false);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->rejected, 3);
  EXPECT_EQ(p->message, "bad");
}

TEST(OtlpResponse, SkipsUnknownProtobufFields) {
  // An unknown fixed32 field 9 before the partial success.
  const std::string body = bytes({0x4D, 1, 2, 3, 4, 0x0A, 0x02, 0x08, 0x05});
  const auto p = parse_partial_success(body, false);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->rejected, 5);
}

TEST(OtlpResponse, TreatsEmptyOrZeroPartialSuccessAsFullSuccess) {
  EXPECT_FALSE(parse_partial_success("", false).has_value());
  EXPECT_FALSE(parse_partial_success(bytes({0x0A, 0x00}), false).has_value());
  EXPECT_FALSE(parse_partial_success("{}", true).has_value());
  EXPECT_FALSE(parse_partial_success(R"({"partialSuccess":{}})", true).has_value());
}

TEST(OtlpResponse, IgnoresMalformedBodies) {
  EXPECT_FALSE(parse_partial_success(bytes({0x0A, 0x09, 0x08}), false).has_value());  // truncated
  EXPECT_FALSE(parse_partial_success(bytes({0x0A, 0x02, 0x08, 0xFF}), false).has_value());
  EXPECT_FALSE(parse_partial_success("{not json", true).has_value());
  EXPECT_FALSE(
      parse_partial_success(R"({"partialSuccess":{"rejectedSpans":"x"}})", true).has_value());
}

TEST(OtlpResponse, ReadsAJsonPartialSuccessWithStringOrNumberCounts) {
  auto p = parse_partial_success(
      R"({"partialSuccess":{"rejectedSpans":"2","errorMessage":"too old"}})", true);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->rejected, 2);
  EXPECT_EQ(p->message, "too old");
  p = parse_partial_success(R"({"partialSuccess":{"rejectedSpans":7}})", true);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->rejected, 7);
  EXPECT_EQ(p->message, "");
  p = parse_partial_success(R"({"partialSuccess":{"errorMessage":"deprecated attribute"}})", true);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->rejected, 0);
  EXPECT_EQ(p->message, "deprecated attribute");
}

TEST(OtlpResponse, DescribesAnErrorByItsStatusMessage) {
  // google.rpc.Status{code(1)=3, message(2)="invalid span"}
  const std::string status = bytes({0x08, 0x03, 0x12, 0x0C}) + "invalid span";
  EXPECT_EQ(describe_error_body(status, false), "invalid span");
  EXPECT_EQ(describe_error_body(R"({"code":3,"message":"bad trace id"})", true), "bad trace id");
}

TEST(OtlpResponse, DescribesOtherBodiesByTheirPrintableStart) {
  EXPECT_EQ(describe_error_body("", false), "");
  EXPECT_EQ(describe_error_body("Bad Request\n", false), "Bad Request ");
  const std::string long_body(500, 'e');
  const std::string d = describe_error_body(long_body, true);
  EXPECT_EQ(d, std::string(200, 'e') + "...");
  EXPECT_EQ(describe_error_body(bytes({'x', 0x01, 'y'}), true), "x?y");
}

}  // namespace
}  // namespace lumen::exporters::detail
