// OTEL_EXPORTER_OTLP_PROTOCOL=grpc and the per-signal protocol variables: the endpoint takes no
// signal path and defaults to port 4317.
#include <gtest/gtest.h>

#include "config_from.hpp"
#include "lumen/config.hpp"

namespace lumen {
namespace {

using exporters::OtlpProtocol;

TEST(OtlpGrpcConfig, GrpcDefaultsToPort4317WithoutASignalPath) {
  Config c = testing::config_from({{"OTEL_TRACES_EXPORTER", "otlp"},
                                   {"OTEL_METRICS_EXPORTER", "otlp"},
                                   {"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"}});
  EXPECT_EQ(c.trace.otlp.protocol, OtlpProtocol::kGrpc);
  EXPECT_EQ(c.trace.otlp.endpoint, "http://localhost:4317");
  EXPECT_EQ(c.metrics.otlp.protocol, OtlpProtocol::kGrpc);
  EXPECT_EQ(c.metrics.otlp.endpoint, "http://localhost:4317");
}

TEST(OtlpGrpcConfig, GenericAndSignalEndpointsAreUsedAsGiven) {
  Config c = testing::config_from({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"},
                                   {"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "https://metrics:443"},
                                   {"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"}});
  EXPECT_EQ(c.trace.otlp.endpoint, "http://collector:4317");
  EXPECT_EQ(c.metrics.otlp.endpoint, "https://metrics:443");
}

TEST(OtlpGrpcConfig, ThePerSignalProtocolWinsOverTheGenericOne) {
  Config c = testing::config_from({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"},
                                   {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"},
                                   {"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "grpc"}});
  EXPECT_EQ(c.trace.otlp.protocol, OtlpProtocol::kHttpProtobuf);
  EXPECT_EQ(c.trace.otlp.endpoint, "http://collector:4318/v1/traces");
  EXPECT_EQ(c.metrics.otlp.protocol, OtlpProtocol::kGrpc);
  EXPECT_EQ(c.metrics.otlp.endpoint, "http://collector:4318");
}

}  // namespace
}  // namespace lumen
