#include <gtest/gtest.h>

#include "config_from.hpp"
#include "lumen/config.hpp"

namespace lumen {
namespace {

using namespace std::chrono_literals;

TEST(LogsConfig, WithoutAnEndpointLogsGoToTheConsoleOnlyWithTheSpecificationsBatchDefaults) {
  const Config c = testing::config_from({});
  EXPECT_EQ(c.log.exporters, std::vector<LogExporterKind>{LogExporterKind::kConsole});
  EXPECT_EQ(c.log.batch.schedule_delay, 1000ms);
  EXPECT_EQ(c.log.batch.export_timeout, 30000ms);
  EXPECT_EQ(c.log.batch.max_queue_size, 2048U);
  EXPECT_EQ(c.log.batch.max_export_batch_size, 512U);
}

TEST(LogsConfig, AnOtlpEndpointAddsOtlpAndGetsTheLogsPath) {
  const Config c =
      testing::config_from({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/"}});
  EXPECT_EQ(c.log.exporters,
            (std::vector<LogExporterKind>{LogExporterKind::kConsole, LogExporterKind::kOtlp}));
  EXPECT_EQ(c.log.otlp.endpoint, "http://collector:4318/v1/logs");
  const Config logs_only =
      testing::config_from({{"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "http://l:1/x"}});
  EXPECT_EQ(logs_only.log.exporters,
            (std::vector<LogExporterKind>{LogExporterKind::kConsole, LogExporterKind::kOtlp}));
  EXPECT_EQ(logs_only.log.otlp.endpoint, "http://l:1/x");
}

TEST(LogsConfig, LogsSpecificVariablesWinOverTheGenericOnes) {
  const Config c = testing::config_from({{"OTEL_LOGS_EXPORTER", "otlp"},
                                         {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://generic:4318"},
                                         {"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "http://l:9/custom"},
                                         {"OTEL_EXPORTER_OTLP_HEADERS", "a=1"},
                                         {"OTEL_EXPORTER_OTLP_LOGS_HEADERS", "b=2"},
                                         {"OTEL_EXPORTER_OTLP_LOGS_TIMEOUT", "1500"},
                                         {"OTEL_EXPORTER_OTLP_LOGS_COMPRESSION", "gzip"},
                                         {"OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "http/json"}});
  EXPECT_EQ(c.log.exporters, std::vector<LogExporterKind>{LogExporterKind::kOtlp});
  EXPECT_EQ(c.log.otlp.endpoint, "http://l:9/custom");
  ASSERT_EQ(c.log.otlp.headers.size(), 1U);
  EXPECT_EQ(c.log.otlp.headers[0].first, "b");
  EXPECT_EQ(c.log.otlp.timeout, 1500ms);
  EXPECT_EQ(c.log.otlp.compression, exporters::OtlpCompression::kGzip);
  EXPECT_EQ(c.log.otlp.protocol, exporters::OtlpProtocol::kHttpJson);
}

TEST(LogsConfig, ReadsTheExporterListAndTheBatchVariables) {
  EXPECT_TRUE(testing::config_from({{"OTEL_LOGS_EXPORTER", "none"}}).log.exporters.empty());
  EXPECT_EQ(testing::config_from({{"OTEL_LOGS_EXPORTER", "Console, console"}}).log.exporters,
            std::vector<LogExporterKind>{LogExporterKind::kConsole});
  const Config c = testing::config_from({{"OTEL_BLRP_SCHEDULE_DELAY", "250"},
                                         {"OTEL_BLRP_EXPORT_TIMEOUT", "4000"},
                                         {"OTEL_BLRP_MAX_QUEUE_SIZE", "100"},
                                         {"OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "10"}});
  EXPECT_EQ(c.log.batch.schedule_delay, 250ms);
  EXPECT_EQ(c.log.batch.export_timeout, 4000ms);
  EXPECT_EQ(c.log.batch.max_queue_size, 100U);
  EXPECT_EQ(c.log.batch.max_export_batch_size, 10U);
}

TEST(LogsConfig, BadValuesWarnAndFallBackAsTheSdkRulesSay) {
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(testing::config_from({{"OTEL_LOGS_EXPORTER", "bogus"}}).log.exporters,
            std::vector<LogExporterKind>{LogExporterKind::kConsole});
  EXPECT_EQ(testing::config_from({{"OTEL_LOGS_EXPORTER", "bogus,none"}}).log.exporters,
            std::vector<LogExporterKind>{});
  const Config small = testing::config_from(
      {{"OTEL_BLRP_MAX_QUEUE_SIZE", "10"}, {"OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "20"}});
  EXPECT_EQ(small.log.batch.max_export_batch_size, 10U);
  const std::string warnings = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(warnings.find("OTEL_LOGS_EXPORTER='bogus' is not valid"), std::string::npos)
      << warnings;
  EXPECT_NE(warnings.find("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE='20' is not valid"), std::string::npos)
      << warnings;
}

TEST(LogsConfig, TheSdkDisabledTurnsOffLogExportButKeepsTheConsole) {
  const Config c =
      testing::config_from({{"OTEL_SDK_DISABLED", "true"}, {"OTEL_LOGS_EXPORTER", "otlp,console"}});
  EXPECT_EQ(c.log.exporters, std::vector<LogExporterKind>{LogExporterKind::kConsole});
}

TEST(LogsConfig, GrpcAndTlsFilesApplyToLogsToo) {
  const Config c = testing::config_from({{"OTEL_LOGS_EXPORTER", "otlp"},
                                         {"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"},
                                         {"OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE", "/etc/ca.pem"}});
  EXPECT_EQ(c.log.otlp.protocol, exporters::OtlpProtocol::kGrpc);
  EXPECT_EQ(c.log.otlp.endpoint, "http://localhost:4317");
  EXPECT_EQ(c.log.otlp.tls.ca_file, "/etc/ca.pem");
}

}  // namespace
}  // namespace lumen
