#include "export/grpc_wire.hpp"

#include <gtest/gtest.h>

namespace lumen::exporters::detail {
namespace {

using namespace std::chrono_literals;

// What python3-grpcio sent as grpc-status-details-bin for Status{14, "busy", [Any{RetryInfo{1.5
// s}}]} (unpadded base64, as gRPC writes binary metadata).
constexpr std::string_view kGrpcioRetryInfo =
    "CA4SBGJ1c3kaNgoodHlwZS5nb29nbGVhcGlzLmNvbS9nb29nbGUucnBjLlJldHJ5SW5mbxIKCggIARCAyrXuAQ";

AttemptVerdict verdict_of(long status, const HeaderList& fields) {
  const std::string body;
  return grpc_verdict(HttpResponse{status, fields, body});
}

TEST(GrpcWire, FrameIsTheFlagByteABigEndianLengthAndTheMessage) {
  EXPECT_EQ(grpc_frame("abc", false), std::string("\0\0\0\0\3abc", 8));
  EXPECT_EQ(grpc_frame(std::string(300, 'x'), true).substr(0, 5), std::string("\1\0\0\1\x2c", 5));
  EXPECT_EQ(grpc_unframe(std::string("\0\0\0\0\3abc", 8)), "abc");
  EXPECT_EQ(grpc_unframe(std::string("\0\0\0\0\0", 5)), "");
  EXPECT_FALSE(grpc_unframe(std::string("\0\0\0\0\4abc", 8)));  // truncated
  EXPECT_FALSE(grpc_unframe(std::string("\1\0\0\0\3abc", 8)));  // compressed: never asked for
  EXPECT_FALSE(grpc_unframe(""));
}

TEST(GrpcWire, TimeoutUsesAtMostEightDigitsAndRoundsUp) {
  EXPECT_EQ(grpc_timeout_value(10s), "10000m");
  EXPECT_EQ(grpc_timeout_value(0ms), "1m");
  EXPECT_EQ(grpc_timeout_value(100'000'000ms), "100000S");
  EXPECT_EQ(grpc_timeout_value(100'000'001ms), "100001S");
}

TEST(GrpcWire, RetryDelayIsReadFromTheStatusDetailsGrpcioSends) {
  EXPECT_EQ(grpc_retry_delay(kGrpcioRetryInfo), 1500ms);
  EXPECT_EQ(grpc_retry_delay(std::string(kGrpcioRetryInfo) + "=="), 1500ms);  // padded
  EXPECT_FALSE(grpc_retry_delay("CA4SBGJ1c3k"));  // Status{14, "busy"}: no details
  EXPECT_FALSE(grpc_retry_delay("not base64!"));
}

TEST(GrpcWire, RetryableCodesFollowTheOtlpSpecification) {
  for (int code : {1, 4, 10, 11, 14, 15}) EXPECT_TRUE(is_retryable_grpc_code(code, false)) << code;
  for (int code : {0, 2, 3, 5, 6, 7, 9, 12, 13, 16})
    EXPECT_FALSE(is_retryable_grpc_code(code, true)) << code;
  EXPECT_FALSE(is_retryable_grpc_code(8, false));  // RESOURCE_EXHAUSTED: only with RetryInfo
  EXPECT_TRUE(is_retryable_grpc_code(8, true));
}

TEST(GrpcWire, VerdictReadsStatusMessageAndRetryInfoFromTrailers) {
  EXPECT_TRUE(
      verdict_of(200, {{"content-type", "application/grpc"}, {"grpc-status", "0"}}).delivered);
  const AttemptVerdict busy =
      verdict_of(200, {{"grpc-status", "8"},
                       {"grpc-message", "over%20quota"},
                       {"grpc-status-details-bin", std::string(kGrpcioRetryInfo)}});
  EXPECT_FALSE(busy.delivered);
  EXPECT_TRUE(busy.retryable);
  EXPECT_EQ(busy.retry_delay, 1500ms);
  EXPECT_EQ(busy.error, "gRPC status RESOURCE_EXHAUSTED: over quota");
  const AttemptVerdict bad = verdict_of(200, {{"grpc-status", "3"}});
  EXPECT_FALSE(bad.retryable);
  EXPECT_EQ(bad.error, "gRPC status INVALID_ARGUMENT");
}

TEST(GrpcWire, AnHttpErrorWithoutGrpcStatusIsMappedAsGrpcClientsDo) {
  const AttemptVerdict proxy = verdict_of(503, {});
  EXPECT_TRUE(proxy.retryable);
  EXPECT_EQ(proxy.error, "gRPC status UNAVAILABLE: HTTP 503");
  EXPECT_FALSE(verdict_of(404, {}).retryable);
  const AttemptVerdict no_status = verdict_of(200, {});
  EXPECT_FALSE(no_status.delivered);
  EXPECT_FALSE(no_status.retryable);
}

}  // namespace
}  // namespace lumen::exporters::detail
