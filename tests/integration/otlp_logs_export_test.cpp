// OTLP/HTTP logs export end to end: a real Logger with a BatchLogSink and the OTLP exporter, a
// real HTTP receiver on 127.0.0.1, and every protobuf payload decoded by a decoder we did not write
// (protobufjs, from the npm package @opentelemetry/otlp-proto-exporter-base, through
// tests/tools/decode_otlp.js); JSON payloads are read as the OTLP/JSON mapping defines them.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "lumen/export/otlp_log_exporter.hpp"
#include "lumen/log/batch_log_sink.hpp"
#include "lumen/log/logger.hpp"
#include "lumen/runtime.hpp"
#include "lumen/trace/tracer_provider.hpp"
#include "otlp_test_fixtures.hpp"

namespace lumen::testing {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;
using exporters::OtlpHttpLogExporter;
using exporters::OtlpHttpLogExporterOptions;

OtlpHttpLogExporterOptions log_options_for(const HttpReceiver& receiver, Reports& reports) {
  return OtlpHttpLogExporterOptions{
      .endpoint = receiver.url("/v1/logs"),
      .timeout = std::chrono::seconds(5),
      .initial_backoff = std::chrono::milliseconds(1),
      .max_backoff = std::chrono::milliseconds(20),
      .report = reports.sink(),
  };
}

log::LoggerOptions logger_options() {
  log::LoggerOptions o;
  o.level = log::Level::kTrace;
  o.service = "logs-test";
  return o;
}

log::BatchLogSinkOptions sink_options(std::size_t batch = 512) {
  return log::BatchLogSinkOptions{
      .max_queue_size = 2048,
      .max_export_batch_size = batch,
      .schedule_delay = 1h,  // batches leave when full or at flush: the request count is exact
      .resource = Resource(Attributes{{"service.name", "logs-test"}, {"host.name", "h1"}}),
      .scope_name = "lumen.log",
      .scope_version = "9.9.9",
  };
}

// The records of every request, decoded, in order.
std::vector<Json> decoded_records(const std::vector<ReceivedRequest>& requests) {
  std::vector<Json> out;
  for (const auto& request : requests) {
    const Json decoded = decode_otlp(request.body, "logs");
    for (const Json& rl : decoded["message"]["resourceLogs"]) {
      for (const Json& sl : rl["scopeLogs"]) {
        for (const Json& r : sl["logRecords"]) out.push_back(r);
      }
    }
  }
  return out;
}

TEST(OtlpLogsExport, ProtobufCarriesSeverityBodyTypedFieldsSpanResourceAndScope) {
  HttpReceiver receiver;
  Reports reports;
  auto exporter = std::make_shared<OtlpHttpLogExporter>(log_options_for(receiver, reports));
  auto sink = std::make_shared<log::BatchLogSink>(exporter, sink_options());
  log::Logger logger(logger_options(), {sink});
  trace::TracerProvider tracers({});
  std::string trace_id;
  std::string span_id;
  int flags = 0;
  {
    trace::Span span = tracers.tracer("app").start("checkout");
    auto scope = span.activate();
    trace_id = span.context().trace_id().to_hex();
    span_id = span.context().span_id().to_hex();
    flags = span.context().flags();
    logger.error("payment failed", {{"attempt", 3},
                                    {"amount", 12.5},
                                    {"retry", false},
                                    {"card", "visa"},
                                    {"token", "secret-value"}});
  }
  logger.trace("t");
  logger.debug("d");
  logger.info("i");
  logger.warn("w");
  logger.fatal("f");
  ASSERT_TRUE(logger.shutdown(5s));
  ASSERT_TRUE(sink->shutdown(5s));

  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].path, "/v1/logs");
  EXPECT_EQ(requests[0].headers.at("content-type"), "application/x-protobuf");
  const Json decoded = decode_otlp(requests[0].body, "logs");
  const Json& rl = decoded["message"]["resourceLogs"][0];
  EXPECT_EQ(decoded_attribute(rl["resource"], "service.name"),
            Json({{"stringValue", "logs-test"}}));
  EXPECT_EQ(decoded_attribute(rl["resource"], "host.name"), Json({{"stringValue", "h1"}}));
  EXPECT_EQ(rl["scopeLogs"][0]["scope"]["name"], "lumen.log");
  EXPECT_EQ(rl["scopeLogs"][0]["scope"]["version"], "9.9.9");

  const std::vector<Json> records = decoded_records(requests);
  ASSERT_EQ(records.size(), 6U);
  const Json& r = records[0];
  EXPECT_EQ(r["severityNumber"], 17);
  EXPECT_EQ(r["severityText"], "ERROR");
  EXPECT_EQ(r["body"], Json({{"stringValue", "payment failed"}}));
  EXPECT_EQ(decoded_attribute(r, "attempt"), Json({{"intValue", "3"}}));
  EXPECT_EQ(decoded_attribute(r, "amount"), Json({{"doubleValue", 12.5}}));
  EXPECT_EQ(decoded_attribute(r, "retry"), Json({{"boolValue", false}}));
  EXPECT_EQ(decoded_attribute(r, "card"), Json({{"stringValue", "visa"}}));
  EXPECT_EQ(decoded_attribute(r, "token"), Json({{"stringValue", "[REDACTED]"}}));
  EXPECT_EQ(r["traceId"], trace_id);
  EXPECT_EQ(r["spanId"], span_id);
  EXPECT_EQ(r["flags"], flags);
  const auto time = std::stoull(r["timeUnixNano"].get<std::string>());
  const auto observed = std::stoull(r["observedTimeUnixNano"].get<std::string>());
  EXPECT_GT(time, 1'600'000'000'000'000'000ULL);
  EXPECT_GE(observed, time);

  const std::vector<std::pair<int, std::string>> severities = {
      {1, "TRACE"}, {5, "DEBUG"}, {9, "INFO"}, {13, "WARN"}, {21, "FATAL"}};
  for (std::size_t i = 0; i < severities.size(); ++i) {
    EXPECT_EQ(records[i + 1]["severityNumber"], severities[i].first);
    EXPECT_EQ(records[i + 1]["severityText"], severities[i].second);
    EXPECT_FALSE(records[i + 1].contains("traceId"));  // no span was current
  }
  EXPECT_EQ(exporter->stats().records_exported, 6U);
  EXPECT_TRUE(reports.lines().empty());
}

TEST(OtlpLogsExport, JsonFollowsTheOtlpJsonMapping) {
  HttpReceiver receiver;
  Reports reports;
  OtlpHttpLogExporterOptions options = log_options_for(receiver, reports);
  options.protocol = exporters::OtlpProtocol::kHttpJson;
  auto sink = std::make_shared<log::BatchLogSink>(std::make_shared<OtlpHttpLogExporter>(options),
                                                  sink_options());
  log::Logger logger(logger_options(), {sink});
  trace::TracerProvider tracers({});
  std::string trace_id;
  {
    trace::Span span = tracers.tracer("app").start("work");
    auto scope = span.activate();
    trace_id = span.context().trace_id().to_hex();
    logger.warn("slow upstream", {{"ms", 930.5}, {"count", 2}, {"cached", true}});
  }
  ASSERT_TRUE(logger.shutdown(5s));
  ASSERT_TRUE(sink->shutdown(5s));
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].headers.at("content-type"), "application/json");
  const Json body = Json::parse(requests[0].body);
  const Json& rl = body["resourceLogs"][0];
  EXPECT_EQ(decoded_attribute(rl["resource"], "service.name"),
            Json({{"stringValue", "logs-test"}}));
  EXPECT_EQ(rl["scopeLogs"][0]["scope"]["name"], "lumen.log");
  const Json& r = rl["scopeLogs"][0]["logRecords"][0];
  EXPECT_EQ(r["severityNumber"], 13);
  EXPECT_EQ(r["severityText"], "WARN");
  EXPECT_EQ(r["body"], Json({{"stringValue", "slow upstream"}}));
  EXPECT_EQ(decoded_attribute(r, "ms"), Json({{"doubleValue", 930.5}}));
  EXPECT_EQ(decoded_attribute(r, "count"), Json({{"intValue", "2"}}));  // int64 as a string
  EXPECT_EQ(decoded_attribute(r, "cached"), Json({{"boolValue", true}}));
  EXPECT_EQ(r["traceId"], trace_id);  // hex, not base64
  EXPECT_TRUE(r["timeUnixNano"].is_string());
}

TEST(OtlpLogsExport, BatchesManyRecordsIntoFewRequests) {
  HttpReceiver receiver;
  Reports reports;
  auto sink = std::make_shared<log::BatchLogSink>(
      std::make_shared<OtlpHttpLogExporter>(log_options_for(receiver, reports)), sink_options(100));
  log::Logger logger(logger_options(), {sink});
  for (int i = 0; i < 1000; ++i) logger.info("record", {{"i", i}});
  ASSERT_TRUE(logger.shutdown(10s));
  ASSERT_TRUE(sink->shutdown(10s));
  const auto requests = receiver.requests();
  EXPECT_EQ(requests.size(), 10U);
  const std::vector<Json> records = decoded_records(requests);
  ASSERT_EQ(records.size(), 1000U);
  for (std::size_t i = 0; i < records.size(); ++i) {
    ASSERT_EQ(decoded_attribute(records[i], "i"), Json({{"intValue", std::to_string(i)}}));
  }
}

TEST(OtlpLogsExport, ADeadCollectorNeverBlocksTheCallerAndDropsAreCounted) {
  HttpReceiver receiver;
  receiver.script({ScriptedResponse{.hang = true}});
  Reports reports;
  OtlpHttpLogExporterOptions options = log_options_for(receiver, reports);
  options.timeout = 60s;
  // The worker left behind by the timed-out shutdown reports its aborted export after this test.
  options.report = [](const std::string&) {};
  log::BatchLogSinkOptions batch = sink_options(5);
  batch.max_queue_size = 10;
  batch.export_timeout = 60s;
  auto sink =
      std::make_shared<log::BatchLogSink>(std::make_shared<OtlpHttpLogExporter>(options), batch);
  log::Logger logger(logger_options(), {sink});
  for (int i = 0; i < 1000; ++i) logger.info("record", {{"i", i}});
  ASSERT_TRUE(logger.flush(30s));  // every record went through the writer while the export hangs
  const log::BatchLogSinkStats stats = sink->stats();
  EXPECT_EQ(stats.queued + stats.dropped, 1000U);
  EXPECT_LE(stats.queued, 15U);  // the queue and the batch stuck in the request
  EXPECT_EQ(logger.stats().lost, stats.dropped);
  ASSERT_TRUE(logger.shutdown(5s));
  EXPECT_FALSE(sink->shutdown(200ms));  // aborts the hung request; the rest counts as dropped
  EXPECT_EQ(sink->stats().exported, 0U);
  // Every record but the batch in the hung request, whose failure the aborted worker counts later.
  EXPECT_EQ(sink->stats().dropped, 995U);
}

TEST(OtlpLogsExport, TheRuntimeSendsItsLoggersRecordsAndFlushesThemAtShutdown) {
  HttpReceiver receiver;
  Config config = Config::from_env(Environment({{"OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url("")},
                                                {"OTEL_SERVICE_NAME", "runtime-logs"},
                                                {"OTEL_LOGS_EXPORTER", "otlp"},
                                                {"OTEL_TRACES_EXPORTER", "none"},
                                                {"OTEL_METRICS_EXPORTER", "none"}}));
  config.log.batch.schedule_delay = 1h;
  Runtime runtime(std::move(config));
  runtime.logger().info("from the runtime", {{"k", 1}});
  runtime.logger().warn("second");
  EXPECT_TRUE(runtime.shutdown(5s));
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].path, "/v1/logs");
  const Json decoded = decode_otlp(requests[0].body, "logs");
  EXPECT_EQ(decoded_attribute(decoded["message"]["resourceLogs"][0]["resource"], "service.name"),
            Json({{"stringValue", "runtime-logs"}}));
  const std::vector<Json> records = decoded_records(requests);
  ASSERT_EQ(records.size(), 2U);
  EXPECT_EQ(records[0]["body"], Json({{"stringValue", "from the runtime"}}));
  EXPECT_EQ(runtime.log_export_stats().exported, 2U);
}

// OTEL_LOGS_EXPORTER through a whole Runtime, with a collector listening: only `otlp` sends, and
// only `console` (or the default) writes the line to stdout; OTEL_SDK_DISABLED=true sends nothing
// even when `otlp` is named, and the application's console line stays.
TEST(OtlpLogsExport, TheRuntimeFollowsOtelLogsExporterAndTheSdkSwitch) {
  struct Case {
    std::vector<std::pair<std::string, std::string>> vars;
    std::size_t requests;
    bool console;
  };
  const std::vector<Case> cases = {
      {{{"OTEL_LOGS_EXPORTER", "otlp"}}, 1, false},
      {{{"OTEL_LOGS_EXPORTER", "none"}}, 0, false},
      {{{"OTEL_LOGS_EXPORTER", "console"}}, 0, true},
      {{{"OTEL_LOGS_EXPORTER", "otlp,console"}}, 1, true},
      {{{"OTEL_LOGS_EXPORTER", "otlp"}, {"OTEL_SDK_DISABLED", "true"}}, 0, false},
      {{{"OTEL_SDK_DISABLED", "true"}}, 0, true},
  };
  for (const Case& c : cases) {
    HttpReceiver receiver;
    std::map<std::string, std::string> vars = {{"OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url("")},
                                               {"OTEL_TRACES_EXPORTER", "none"},
                                               {"OTEL_METRICS_EXPORTER", "none"},
                                               {"LOG_LEVEL", "info"}};
    std::string described;
    for (const auto& [name, value] : c.vars) {
      vars[name] = value;
      described += name + "=" + value + " ";
    }
    SCOPED_TRACE(described);
    ::testing::internal::CaptureStdout();
    {
      Runtime runtime(Config::from_env(Environment(vars)));
      runtime.logger().info("the marker line");
      EXPECT_TRUE(runtime.logger().flush(5s));
      EXPECT_TRUE(runtime.shutdown(5s));
    }
    const std::string out = ::testing::internal::GetCapturedStdout();
    EXPECT_EQ(receiver.requests().size(), c.requests);
    EXPECT_EQ(out.find("the marker line") != std::string::npos, c.console) << out;
  }
}

TEST(OtlpLogsExport, TheRuntimeExposesDropsBehindAHungCollectorAsAMetric) {
  HttpReceiver receiver;
  receiver.script({ScriptedResponse{.hang = true}});
  Config config =
      Config::from_env(Environment({{"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", receiver.url("/v1/logs")},
                                    {"OTEL_LOGS_EXPORTER", "otlp"},
                                    {"OTEL_BLRP_MAX_QUEUE_SIZE", "2"},
                                    {"OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "1"},
                                    {"OTEL_TRACES_EXPORTER", "none"},
                                    {"OTEL_METRICS_EXPORTER", "none"}}));
  config.log.otlp.report = [](const std::string&) {};
  Runtime runtime(std::move(config));
  for (int i = 0; i < 50; ++i) runtime.logger().info("record");
  ASSERT_TRUE(runtime.logger().flush(30s));
  const std::uint64_t dropped = runtime.log_export_stats().dropped;
  EXPECT_GE(dropped, 47U);  // the queue holds 2, the hung request 1 (or none yet)
  std::int64_t exposed = -1;
  for (const auto& m : runtime.meter_provider().collect().metrics) {
    if (m.name == "lumen.log.records.export_dropped") exposed = m.number_points.at(0).int_value;
  }
  EXPECT_EQ(exposed, static_cast<std::int64_t>(dropped));
  EXPECT_FALSE(runtime.shutdown(200ms));  // the deadline passes with the request still hung
}

}  // namespace
}  // namespace lumen::testing
