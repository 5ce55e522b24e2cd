// OTLP over gRPC end to end: the span, metric and log exporters with protocol grpc against a real
// gRPC server we did not write (Debian's python3-grpcio, tests/tools/grpc_otlp_server.py), every
// recorded message decoded by the independent protobufjs decoder (tests/tools/decode_otlp.js).
// Status codes, RetryInfo, deadlines and gzip are the server's own behaviour, scripted per request;
// TLS is grpcio's own (h2 by ALPN, a client certificate required).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>

#include "eventually.hpp"
#include "grpc_otlp_server.hpp"
#include "lumen/export/otlp_log_exporter.hpp"
#include "lumen/export/otlp_metric_exporter.hpp"
#include "lumen/log/batch_log_sink.hpp"
#include "lumen/log/logger.hpp"
#include "lumen/metrics/meter.hpp"
#include "lumen/trace/batch_span_processor.hpp"
#include "lumen/trace/tracer_provider.hpp"
#include "otlp_test_fixtures.hpp"
#include "test_certificates.hpp"

namespace lumen::testing {
namespace {

using namespace std::chrono_literals;
using exporters::OtlpHttpExporter;
using exporters::OtlpProtocol;
using trace::ExportResult;
using Json = nlohmann::json;
using Steady = std::chrono::steady_clock;

constexpr const char* kTraceMethod = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
constexpr const char* kMetricsMethod =
    "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
constexpr const char* kLogsMethod = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";

exporters::OtlpHttpExporterOptions grpc_options(const std::string& endpoint, Reports& reports) {
  return exporters::OtlpHttpExporterOptions{
      .endpoint = endpoint,
      .timeout = 5s,
      .protocol = OtlpProtocol::kGrpc,
      .initial_backoff = 1ms,
      .max_backoff = 20ms,
      .report = reports.sink(),
  };
}

std::vector<std::string> decoded_span_names(const std::string& message) {
  std::vector<std::string> names;
  const Json decoded = decode_otlp_traces(message);
  for (const auto& span : decoded["message"]["resourceSpans"][0]["scopeSpans"][0]["spans"]) {
    names.push_back(span["name"]);
  }
  return names;
}

const std::vector<std::string> kThreeSpans{"span-0", "span-1", "span-2"};

TEST(OtlpGrpcExport, SpansArriveIntactWithTheUsersMetadataAndADeadline) {
  GrpcOtlpServer server;
  Reports reports;
  auto options = grpc_options(server.endpoint(), reports);
  options.headers = {{"api-key", "secret"}};
  OtlpHttpExporter exporter(options);
  SpanBatchFixture batch(3);
  ASSERT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 10s), ExportResult::kSuccess)
      << exporter.stats().last_error;

  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0].method, kTraceMethod);
  EXPECT_EQ(seen[0].metadata_value("api-key"), "secret");
  ASSERT_TRUE(seen[0].time_remaining.has_value()) << "no grpc-timeout reached the server";
  EXPECT_GT(*seen[0].time_remaining, 0.0);
  EXPECT_LE(*seen[0].time_remaining, 5.0);  // the export timeout, not the caller's 10 s
  const Json decoded = decode_otlp_traces(seen[0].message);
  const Json& resource_spans = decoded["message"]["resourceSpans"][0];
  EXPECT_EQ(decoded_attribute(resource_spans["resource"], "service.name"),
            Json({{"stringValue", "batch-test"}}));
  EXPECT_EQ(resource_spans["scopeSpans"][0]["scope"]["name"], "lumen.test");
  EXPECT_EQ(decoded_span_names(seen[0].message), kThreeSpans);
  EXPECT_EQ(resource_spans["scopeSpans"][0]["spans"][1]["spanId"], batch.span_id(1));
  EXPECT_EQ(exporter.stats().spans_exported, 3U);
  EXPECT_EQ(exporter.stats().spans_failed, 0U);
}

TEST(OtlpGrpcExport, MetricsArriveIntactOnTheMetricsServicesMethod) {
  GrpcOtlpServer server;
  Reports reports;
  metrics::MeterProvider provider(
      {.resource = Resource(Attributes{{"service.name", "beautifyai"}})});
  auto requests = provider.meter("app").create_counter("requests");
  requests.add(7);
  exporters::OtlpHttpMetricExporter exporter({
      .endpoint = server.endpoint(),
      .timeout = 5s,
      .protocol = OtlpProtocol::kGrpc,
      .report = reports.sink(),
  });
  ASSERT_EQ(exporter.export_metrics(provider.collect(), Steady::now() + 10s),
            metrics::MetricExportResult::kSuccess);
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0].method, kMetricsMethod);
  const Json decoded = decode_otlp(seen[0].message, "metrics");
  const Json& metric = decoded["message"]["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0];
  EXPECT_EQ(metric["name"], "requests");
  EXPECT_EQ(metric["sum"]["dataPoints"][0]["asInt"], "7");
  EXPECT_EQ(exporter.stats().exports_succeeded, 1U);
}

TEST(OtlpGrpcExport, LogRecordsArriveIntactOnTheLogsServicesMethod) {
  GrpcOtlpServer server;
  Reports reports;
  auto sink = std::make_shared<log::BatchLogSink>(
      std::make_shared<exporters::OtlpHttpLogExporter>(exporters::OtlpHttpLogExporterOptions{
          .endpoint = server.endpoint(),
          .timeout = 5s,
          .protocol = OtlpProtocol::kGrpc,
          .report = reports.sink(),
      }),
      log::BatchLogSinkOptions{.schedule_delay = 1h,
                               .resource = Resource(Attributes{{"service.name", "beautifyai"}})});
  log::LoggerOptions options;
  options.service = "beautifyai";
  log::Logger logger(options, {sink});
  logger.warn("AI request failed", {{"model", "gemini-2.0-flash"}, {"attempt", 2}});
  ASSERT_TRUE(logger.shutdown(10s));
  ASSERT_TRUE(sink->shutdown(10s));
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1U) << (reports.lines().empty() ? "" : reports.lines().back());
  EXPECT_EQ(seen[0].method, kLogsMethod);
  const Json decoded = decode_otlp(seen[0].message, "logs");
  const Json& record = decoded["message"]["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0];
  EXPECT_EQ(record["body"]["stringValue"], "AI request failed");
  EXPECT_EQ(record["severityNumber"], 13);
  EXPECT_EQ(record["severityText"], "WARN");
}

TEST(OtlpGrpcExport, ConsecutiveExportsEachArrive) {
  GrpcOtlpServer server;
  Reports reports;
  OtlpHttpExporter exporter(grpc_options(server.endpoint(), reports));
  SpanBatchFixture batch(3);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 10s), ExportResult::kSuccess)
        << "export " << i << ": " << exporter.stats().last_error;
  }
  EXPECT_EQ(server.requests().size(), 3U);
  EXPECT_EQ(exporter.stats().retries, 0U);
}

TEST(OtlpGrpcExport, GzipSendsACompressedMessageTheServerInflates) {
  Reports reports;
  SpanBatchFixture batch(3);
  {
    GrpcOtlpServer server;
    auto options = grpc_options(server.endpoint(), reports);
    options.compression = exporters::OtlpCompression::kGzip;
    OtlpHttpExporter exporter(options);
    ASSERT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 10s), ExportResult::kSuccess)
        << exporter.stats().last_error;
    const auto seen = server.requests();
    ASSERT_EQ(seen.size(), 1U);
    EXPECT_EQ(decoded_span_names(seen[0].message), kThreeSpans);
  }
  // A server that accepts no compression refuses the same request: it really was gzip.
  GrpcOtlpServer identity_only(Json::array({Json::object()}), /*identity_only=*/true);
  auto options = grpc_options(identity_only.endpoint(), reports);
  options.compression = exporters::OtlpCompression::kGzip;
  OtlpHttpExporter exporter(options);
  EXPECT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 10s), ExportResult::kFailure);
  EXPECT_NE(exporter.stats().last_error.find("UNIMPLEMENTED"), std::string::npos)
      << exporter.stats().last_error;
}

TEST(OtlpGrpcExport, UnavailableIsRetriedAndTheBatchDeliveredOnce) {
  GrpcOtlpServer server(
      Json::array({{{"code", "UNAVAILABLE"}, {"message", "restarting"}}, Json::object()}));
  Reports reports;
  OtlpHttpExporter exporter(grpc_options(server.endpoint(), reports));
  SpanBatchFixture batch(3);
  ASSERT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 10s), ExportResult::kSuccess)
      << exporter.stats().last_error;
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 2U);
  EXPECT_EQ(seen[0].message, seen[1].message);  // the same request, sent again
  EXPECT_EQ(decoded_span_names(seen[1].message), kThreeSpans);
  const auto stats = exporter.stats();
  EXPECT_EQ(stats.requests, 2U);
  EXPECT_EQ(stats.retries, 1U);
  EXPECT_EQ(stats.spans_exported, 3U);
  EXPECT_EQ(stats.spans_failed, 0U);
}

TEST(OtlpGrpcExport, ResourceExhaustedWithRetryInfoWaitsTheServersDelay) {
  // The backoff alone would wait at most 20 ms; the server asks for 400 ms.
  GrpcOtlpServer server(
      Json::array({{{"code", "RESOURCE_EXHAUSTED"}, {"retry_delay_ms", 400}}, Json::object()}));
  Reports reports;
  OtlpHttpExporter exporter(grpc_options(server.endpoint(), reports));
  SpanBatchFixture batch(2);
  ASSERT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 10s), ExportResult::kSuccess)
      << exporter.stats().last_error;
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 2U);
  EXPECT_GE(seen[1].arrived - seen[0].arrived, 0.4);  // never earlier than asked
  EXPECT_EQ(exporter.stats().retries, 1U);
  EXPECT_EQ(exporter.stats().spans_exported, 2U);
}

TEST(OtlpGrpcExport, ResourceExhaustedWithoutRetryInfoIsNotRetried) {
  GrpcOtlpServer server(
      Json::array({{{"code", "RESOURCE_EXHAUSTED"}, {"message", "quota"}}, Json::object()}));
  Reports reports;
  OtlpHttpExporter exporter(grpc_options(server.endpoint(), reports));
  SpanBatchFixture batch(2);
  EXPECT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 10s), ExportResult::kFailure);
  EXPECT_EQ(server.requests().size(), 1U);
  EXPECT_EQ(exporter.stats().spans_failed, 2U);
  EXPECT_NE(exporter.stats().last_error.find("RESOURCE_EXHAUSTED: quota"), std::string::npos);
}

TEST(OtlpGrpcExport, ARetryDelayBeyondTheDeadlineEndsTheExportWithoutWaiting) {
  GrpcOtlpServer server(
      Json::array({{{"code", "UNAVAILABLE"}, {"retry_delay_ms", 3'600'000}}, Json::object()}));
  Reports reports;
  auto options = grpc_options(server.endpoint(), reports);
  options.timeout = 3s;
  OtlpHttpExporter exporter(options);
  SpanBatchFixture batch(1);
  EXPECT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 10s), ExportResult::kFailure);
  EXPECT_EQ(server.requests().size(), 1U);
  EXPECT_NE(exporter.stats().last_error.find("no time left"), std::string::npos)
      << exporter.stats().last_error;
}

TEST(OtlpGrpcExport, InvalidArgumentIsDroppedAndCountedWithTheServersMessage) {
  GrpcOtlpServer server(
      Json::array({{{"code", "INVALID_ARGUMENT"}, {"message", "bad span 100%"}}}));
  Reports reports;
  OtlpHttpExporter exporter(grpc_options(server.endpoint(), reports));
  SpanBatchFixture batch(3);
  EXPECT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 10s), ExportResult::kFailure);
  EXPECT_EQ(server.requests().size(), 1U);
  const auto stats = exporter.stats();
  EXPECT_EQ(stats.spans_failed, 3U);
  EXPECT_EQ(stats.retries, 0U);
  EXPECT_EQ(stats.last_error, "gRPC status INVALID_ARGUMENT: bad span 100%");
  ASSERT_EQ(reports.lines().size(), 1U);
}

TEST(OtlpGrpcExport, AServerSlowerThanTheTimeoutFailsTheExportBeforeItAnswers) {
  GrpcOtlpServer server(Json::array({{{"sleep_ms", 4000}}}));
  Reports reports;
  auto options = grpc_options(server.endpoint(), reports);
  options.timeout = 300ms;
  OtlpHttpExporter exporter(options);
  SpanBatchFixture batch(2);
  EXPECT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 10s), ExportResult::kFailure);
  EXPECT_TRUE(server.requests().empty()) << "the export waited for the server's late answer";
  const auto stats = exporter.stats();
  EXPECT_EQ(stats.spans_failed, 2U);
  // One request, or two when the first failed at once and was retried (seen once on a loaded
  // machine, its error unrecorded): either way the attempt that timed out is the last, as the
  // error below says.
  EXPECT_GE(stats.requests, 1U);
  EXPECT_LE(stats.requests, 2U) << stats.last_error;
  EXPECT_TRUE(stats.last_error.find("DEADLINE_EXCEEDED") != std::string::npos ||
              stats.last_error.find("within the export timeout") != std::string::npos)
      << stats.last_error;
}

TEST(OtlpGrpcExport, NoServerIsCountedAfterTheRetries) {
  Reports reports;
  auto options =
      grpc_options("http://127.0.0.1:" + std::to_string(closed_loopback_port()), reports);
  options.max_attempts = 3;
  OtlpHttpExporter exporter(options);
  SpanBatchFixture batch(2);
  EXPECT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 10s), ExportResult::kFailure);
  const auto stats = exporter.stats();
  EXPECT_EQ(stats.spans_failed, 2U);
  EXPECT_EQ(stats.requests, 3U);
  EXPECT_NE(stats.last_error.find("cannot connect"), std::string::npos) << stats.last_error;
}

// A reader of the statistics that sees a failure counted sees its reason: the reason is recorded
// first. Here the report of the failure, which comes between the two, finds the reason there and
// the spans not yet counted.
TEST(OtlpGrpcExport, AFailureIsCountedOnlyOnceItsReasonIsRecorded) {
  Reports reports;
  auto options =
      grpc_options("http://127.0.0.1:" + std::to_string(closed_loopback_port()), reports);
  options.max_attempts = 1;
  OtlpHttpExporter* exporter = nullptr;
  std::vector<exporters::OtlpHttpExporterStats> at_report;
  options.report = [&](const std::string&) { at_report.push_back(exporter->stats()); };
  OtlpHttpExporter built(options);
  exporter = &built;
  SpanBatchFixture batch(2);
  EXPECT_EQ(built.export_spans(batch.spans(), Steady::now() + 10s), ExportResult::kFailure);
  ASSERT_EQ(at_report.size(), 1U);
  EXPECT_NE(at_report[0].last_error.find("cannot connect"), std::string::npos)
      << at_report[0].last_error;
  EXPECT_EQ(at_report[0].spans_failed, 0U);
  EXPECT_EQ(built.stats().spans_failed, 2U);
}

TEST(OtlpGrpcExport, ACollectorThatIsDownNeverBlocksTheApplication) {
  Reports reports;
  auto options =
      grpc_options("http://127.0.0.1:" + std::to_string(closed_loopback_port()), reports);
  options.timeout = 30s;  // the worker keeps retrying for the whole test
  options.max_attempts = 1000;
  options.initial_backoff = options.max_backoff = 50ms;
  auto exporter = std::make_shared<OtlpHttpExporter>(options);
  auto processor = std::make_unique<trace::BatchSpanProcessor>(
      exporter, trace::BatchSpanProcessorOptions{.max_queue_size = 10,
                                                 .max_export_batch_size = 5,
                                                 .schedule_delay = 1ms,
                                                 .shutdown_timeout = 1s});
  trace::BatchSpanProcessor* spans = processor.get();
  {
    trace::TracerProvider provider({.processor = std::move(processor)});
    trace::Tracer& tracer = provider.tracer("app");
    // The worker is stuck in an export: the queue fills and end() drops instead of waiting.
    for (int i = 0; i < 100; ++i) tracer.start("work").end();
    EXPECT_GE(spans->stats().dropped, 85U);
  }  // shutdown aborts the stuck export
  EXPECT_TRUE(eventually([&] { return exporter->stats().spans_failed > 0; }));
  // The refused connection, unless the shutdown aborted the export before its first attempt ended
  // (seen under ASan on a loaded machine).
  const std::string error = exporter->stats().last_error;
  EXPECT_TRUE(error.find("cannot connect") != std::string::npos ||
              error == "aborted (the exporter is shutting down)")
      << error;
  // If shutdown gave up on the worker, its thread still holds the exporter, which reports into
  // `reports` (a failure is counted before it is reported): `reports` must outlive the exporter.
  const std::weak_ptr<OtlpHttpExporter> released = exporter;
  exporter.reset();
  EXPECT_TRUE(eventually([&] { return released.expired(); }, 30s));
  // Read under its mutex, after the last write the worker made under it.
  EXPECT_FALSE(reports.lines().empty());
}

TEST(OtlpGrpcExport, APartialSuccessIsCountedLikeOverHttp) {
  GrpcOtlpServer server(Json::array({{{"rejected", 2}, {"error_message", "spans too old"}}}));
  Reports reports;
  OtlpHttpExporter exporter(grpc_options(server.endpoint(), reports));
  SpanBatchFixture batch(3);
  EXPECT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 10s), ExportResult::kSuccess);
  const auto stats = exporter.stats();
  EXPECT_EQ(stats.spans_exported, 1U);
  EXPECT_EQ(stats.spans_failed, 2U);
  ASSERT_EQ(reports.lines().size(), 1U);
  EXPECT_NE(reports.lines()[0].find("rejected 2 of 3 spans: spans too old"), std::string::npos)
      << reports.lines()[0];
}

// https:// with the OpenTelemetry TLS files: libcurl negotiates h2 by ALPN, trusts the server
// through the CA file and presents the client certificate that grpcio requires.
TEST(OtlpGrpcExport, OverTlsTheCaAndTheClientCertificateAreUsedAndAMissingOneFailsCounted) {
  const TestCertificates certs;
  ASSERT_TRUE(certs.ok()) << certs.error();
  GrpcOtlpServer server(Json::array({Json::object()}), false,
                        GrpcServerTls{.certificate = certs.file("server.pem"),
                                      .key = certs.file("server.key"),
                                      .client_ca = certs.file("ca.pem")});
  ASSERT_EQ(server.endpoint().rfind("https://", 0), 0U) << server.endpoint();
  const exporters::TlsFiles all{.ca_file = certs.file("ca.pem"),
                                .client_certificate = certs.file("client.pem"),
                                .client_key = certs.file("client.key")};
  Reports reports;
  const auto export_with = [&](const exporters::TlsFiles& tls) {
    auto options = grpc_options(server.endpoint(), reports);
    options.tls = tls;
    options.max_attempts = 1;
    OtlpHttpExporter exporter(options);
    SpanBatchFixture batch(3);
    (void)exporter.export_spans(batch.spans(), Steady::now() + 10s);
    return exporter.stats();
  };

  auto stats = export_with(all);
  EXPECT_EQ(stats.spans_exported, 3U) << stats.last_error;
  ASSERT_EQ(server.requests().size(), 1U);
  EXPECT_EQ(server.requests()[0].method, kTraceMethod);
  EXPECT_EQ(decoded_span_names(server.requests()[0].message), kThreeSpans);

  exporters::TlsFiles no_ca = all;  // the server's certificate is not trusted
  no_ca.ca_file.clear();
  stats = export_with(no_ca);
  EXPECT_EQ(stats.spans_exported, 0U);
  EXPECT_EQ(stats.spans_failed, 3U);
  EXPECT_FALSE(stats.last_error.empty());

  stats = export_with({.ca_file = certs.file("ca.pem")});  // grpcio refuses the handshake
  EXPECT_EQ(stats.spans_exported, 0U);
  EXPECT_EQ(stats.spans_failed, 3U);
  EXPECT_EQ(server.requests().size(), 1U);  // neither failed export reached the service
}

}  // namespace
}  // namespace lumen::testing
