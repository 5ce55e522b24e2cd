// The part every OTLP exporter shares (src/export/otlp_channel.hpp): the check of its options, the
// encoding the protocol asks for, the export timeout, and how a failure is reported and remembered.
#include "export/otlp_channel.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "lumen/core/error.hpp"
#include "lumen/export/in_memory_transport.hpp"
#include "lumen/export/otlp_log_exporter.hpp"

namespace lumen::exporters::detail {
namespace {

using namespace std::chrono_literals;

void encode_protobuf(const std::string& batch, std::string& out) {
  out = "protobuf:" + batch;
}
std::string encode_json(const std::string& batch) {
  return "json:" + batch;
}
constexpr OtlpEncoding<const std::string&> kEncoding{.protobuf = &encode_protobuf,
                                                     .json = &encode_json};

std::string set_up_error(const OtlpSignal& signal, OtlpHttpLogExporterOptions options) {
  try {
    OtlpChannel channel(options, signal);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(OtlpChannel, SetUpErrorsNameTheSignalAndItsOwnVariable) {
  const std::string endpoint = set_up_error(kOtlpMetrics, {.endpoint = "collector:4318"});
  EXPECT_NE(endpoint.find("OTLP metrics endpoint 'collector:4318'"), std::string::npos) << endpoint;
  EXPECT_NE(endpoint.find("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"), std::string::npos) << endpoint;
  const std::string timeout = set_up_error(kOtlpLogs, {.timeout = 0ms});
  EXPECT_NE(timeout.find("OTLP logs export timeout must be positive"), std::string::npos)
      << timeout;
  EXPECT_NE(timeout.find("OTEL_EXPORTER_OTLP_LOGS_TIMEOUT"), std::string::npos) << timeout;
  EXPECT_EQ(set_up_error(kOtlpTraces, {.endpoint = "https://collector:4318/v1/traces"}), "");
}

TEST(OtlpChannel, EncodesAsTheProtocolSaysAndSendsWithinTheTimeout) {
  auto transport = std::make_shared<InMemoryTransport>();
  OtlpChannel protobuf(OtlpHttpLogExporterOptions{.timeout = 2s, .transport = transport},
                       kOtlpLogs);
  OtlpChannel as_json(
      OtlpHttpLogExporterOptions{.protocol = OtlpProtocol::kHttpJson, .transport = transport},
      kOtlpLogs);
  const auto before = std::chrono::steady_clock::now();
  EXPECT_TRUE(protobuf.send("batch", kEncoding, Deadline::max()).delivered);
  const auto after = std::chrono::steady_clock::now();
  EXPECT_TRUE(as_json.send("batch", kEncoding, before + 1ms).delivered);
  const auto requests = transport->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].body, "protobuf:batch");
  EXPECT_GE(requests[0].deadline, before + 2s);  // the timeout, not the caller's later deadline
  EXPECT_LE(requests[0].deadline, after + 2s);
  EXPECT_EQ(requests[1].body, "json:batch");
  EXPECT_EQ(requests[1].deadline, before + 1ms);  // the caller's, earlier than the timeout
  EXPECT_EQ(protobuf.requests(), 1u);
}

TEST(OtlpChannel, AFailureIsReportedWithTheEndpointAndRememberedAsTheLastError) {
  std::vector<std::string> lines;
  OtlpChannel channel(
      OtlpHttpLogExporterOptions{.endpoint = "http://collector:4318/v1/logs",
                                 .report = [&](const std::string& line) { lines.push_back(line); }},
      kOtlpLogs);
  channel.fail("OTLP export of 3 log records", "HTTP 400");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(
      lines[0],
      "lumen: OTLP export of 3 log records to http://collector:4318/v1/logs failed: HTTP 400");
  EXPECT_EQ(channel.last_error(), "HTTP 400");
}

TEST(OtlpChannel, AnExceptionInAnExportBecomesAReportedFailure) {
  std::string reason;
  const int result = export_without_throwing(
      -1, []() -> int { throw std::bad_alloc(); }, [&](const std::string& why) { reason = why; });
  EXPECT_EQ(result, -1);
  EXPECT_EQ(reason.rfind("internal error: ", 0), 0u) << reason;
}

}  // namespace
}  // namespace lumen::exporters::detail
