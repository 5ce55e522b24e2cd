// BatchLogSink with a real Logger in front and an exporter that keeps what it is given.
#include "lumen/log/batch_log_sink.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <vector>

#include "eventually.hpp"
#include "lumen/core/clock.hpp"
#include "lumen/core/context.hpp"
#include "lumen/core/error.hpp"
#include "lumen/log/logger.hpp"
#include "lumen/trace/tracer_provider.hpp"

namespace lumen::log {
namespace {

using namespace std::chrono_literals;

// Keeps every batch; can be made to block until released, as a hung collector does.
class KeepingExporter final : public LogExporter {
 public:
  LogExportResult export_logs(const LogBatch& batch, Deadline) noexcept override {
    std::unique_lock lock(mutex_);
    batches_.emplace_back(batch.records.begin(), batch.records.end());
    scope_ = std::string(batch.scope_name);
    cv_.wait(lock, [&] { return !blocked_; });
    return LogExportResult::kSuccess;
  }
  void shutdown(Deadline) noexcept override { release(); }
  void block() {
    std::lock_guard lock(mutex_);
    blocked_ = true;
  }
  void release() {
    {
      std::lock_guard lock(mutex_);
      blocked_ = false;
    }
    cv_.notify_all();
  }
  std::vector<std::vector<LogRecordData>> batches() {
    std::lock_guard lock(mutex_);
    return batches_;
  }
  std::string scope() {
    std::lock_guard lock(mutex_);
    return scope_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool blocked_ = false;
  std::vector<std::vector<LogRecordData>> batches_;
  std::string scope_;
};

LoggerOptions quiet_options() {
  LoggerOptions o;
  o.level = Level::kTrace;
  o.service = "batch-test";
  o.overflow = OverflowPolicy::kBlock;
  return o;
}

TEST(BatchLogSink, MapsLevelsToOpenTelemetrySeverityNumbers) {
  EXPECT_EQ(severity_number(Level::kTrace), 1);
  EXPECT_EQ(severity_number(Level::kDebug), 5);
  EXPECT_EQ(severity_number(Level::kInfo), 9);
  EXPECT_EQ(severity_number(Level::kWarn), 13);
  EXPECT_EQ(severity_number(Level::kError), 17);
  EXPECT_EQ(severity_number(Level::kFatal), 21);
}

TEST(BatchLogSink, CarriesTypedRedactedFieldsAndTheActiveSpan) {
  auto exporter = std::make_shared<KeepingExporter>();
  auto sink = std::make_shared<BatchLogSink>(exporter, BatchLogSinkOptions{.schedule_delay = 1h});
  Logger logger(quiet_options(), {sink});
  trace::TracerProvider tracers({});
  SpanContext active;
  {
    trace::Span span = tracers.tracer("t").start("work");
    auto scope = span.activate();
    active = span.context();
    Logger child = logger.child({{"request_id", "r-1"}, {"n", 1}});
    child.warn("with fields", {{"n", 7},
                               {"ratio", 0.5},
                               {"whole", 2.0},
                               {"ok", true},
                               {"name", "x"},
                               {"password", "hunter2"},
                               {"big", std::uint64_t{18446744073709551615ULL}},
                               {"image", Object{{"w", 640}}},
                               {"level", "kept as given"}});
  }
  logger.info("no span");
  ASSERT_TRUE(logger.shutdown(5s));
  ASSERT_TRUE(sink->shutdown(5s));

  const auto batches = exporter->batches();
  ASSERT_EQ(batches.size(), 1U);
  ASSERT_EQ(batches[0].size(), 2U);
  const LogRecordData& r = batches[0][0];
  EXPECT_EQ(r.level, Level::kWarn);
  EXPECT_EQ(r.body, "with fields");
  EXPECT_NE(r.time_ns, 0U);
  EXPECT_GE(r.observed_time_ns, r.time_ns);
  EXPECT_EQ(r.trace_id, active.trace_id());
  EXPECT_EQ(r.span_id, active.span_id());
  EXPECT_EQ(r.trace_flags, active.flags());
  const Attributes& a = r.attributes;
  EXPECT_EQ(*a.find("request_id"), AttributeValue(std::string("r-1")));
  EXPECT_EQ(*a.find("n"),
            AttributeValue(std::int64_t{7}));  // the record's own replaces the bound one
  EXPECT_EQ(*a.find("ratio"), AttributeValue(0.5));
  EXPECT_EQ(*a.find("whole"), AttributeValue(2.0));
  EXPECT_EQ(*a.find("ok"), AttributeValue(true));
  EXPECT_EQ(*a.find("name"), AttributeValue(std::string("x")));
  EXPECT_EQ(*a.find("password"), AttributeValue(std::string("[REDACTED]")));
  EXPECT_EQ(*a.find("big"), AttributeValue(std::string("18446744073709551615")));
  EXPECT_EQ(*a.find("image"), AttributeValue(std::string(R"({"w":640})")));
  EXPECT_EQ(*a.find("level"), AttributeValue(std::string("kept as given")));
  EXPECT_EQ(a.size(), 10U);
  EXPECT_FALSE(batches[0][1].trace_id.is_valid());
  EXPECT_EQ(exporter->scope(), "lumen.log");
  EXPECT_EQ(sink->stats().exported, 2U);
}

TEST(BatchLogSink, ExportsFullBatchesAndTheRestAtFlush) {
  auto exporter = std::make_shared<KeepingExporter>();
  auto sink = std::make_shared<BatchLogSink>(
      exporter, BatchLogSinkOptions{
                    .max_queue_size = 1000, .max_export_batch_size = 100, .schedule_delay = 1h});
  Logger logger(quiet_options(), {sink});
  for (int i = 0; i < 1000; ++i) logger.info("record", {{"i", i}});
  ASSERT_TRUE(logger.flush(10s));
  ASSERT_TRUE(sink->force_flush(10s));
  const auto batches = exporter->batches();
  ASSERT_EQ(batches.size(), 10U);
  std::int64_t expected = 0;
  for (const auto& batch : batches) {
    EXPECT_EQ(batch.size(), 100U);
    for (const auto& r : batch) EXPECT_EQ(*r.attributes.find("i"), AttributeValue(expected++));
  }
  EXPECT_EQ(sink->stats().batches, 10U);
  EXPECT_EQ(sink->stats().dropped, 0U);
}

TEST(BatchLogSink, ExportsAPartialBatchExactlyWhenTheScheduleDelayHasPassed) {
  ManualClock clock;
  auto exporter = std::make_shared<KeepingExporter>();
  auto sink =
      std::make_shared<BatchLogSink>(exporter, BatchLogSinkOptions{.max_queue_size = 100,
                                                                   .max_export_batch_size = 100,
                                                                   .schedule_delay = 1s,
                                                                   .clock = &clock});
  Logger logger(quiet_options(), {sink});
  ASSERT_TRUE(clock.await_waiters(1));  // the sink's worker, until its first tick
  logger.info("one");
  logger.info("two");
  ASSERT_TRUE(logger.flush(10s));  // both in the sink's queue, far below a batch
  clock.advance(1s - 1ns);
  EXPECT_TRUE(exporter->batches().empty());
  clock.advance(1ns);
  ASSERT_TRUE(lumen::testing::eventually([&] { return exporter->batches().size() == 1; }, 20s));
  EXPECT_EQ(exporter->batches()[0].size(), 2U);
}

TEST(BatchLogSink, AHungExporterNeverBlocksTheLoggerAndDropsAreCounted) {
  auto exporter = std::make_shared<KeepingExporter>();
  exporter->block();
  auto sink = std::make_shared<BatchLogSink>(
      exporter,
      BatchLogSinkOptions{.max_queue_size = 10, .max_export_batch_size = 5, .schedule_delay = 1h});
  Logger logger(quiet_options(), {sink});
  for (int i = 0; i < 1000; ++i) logger.info("record", {{"i", i}});
  // The writer handed every record to the sink, which queued or dropped it without waiting.
  ASSERT_TRUE(logger.flush(30s));
  const BatchLogSinkStats stats = sink->stats();
  EXPECT_EQ(stats.queued + stats.dropped, 1000U);
  EXPECT_LE(stats.queued, 15U);  // the queue, and the batch the exporter holds
  EXPECT_EQ(logger.stats().lost, stats.dropped);
  EXPECT_EQ(logger.stats().written, 1000U);
  // Shutdown gives up at its deadline; what was still queued counts as dropped.
  EXPECT_FALSE(sink->force_flush(10ms));
  exporter->release();
  ASSERT_TRUE(logger.shutdown(5s));
  EXPECT_TRUE(sink->shutdown(5s));
  EXPECT_EQ(sink->write(FormattedRecord{}), false);  // stopped: dropped
}

TEST(BatchLogSink, RejectsABatchLargerThanTheQueue) {
  EXPECT_THROW(BatchLogSink(std::make_shared<KeepingExporter>(),
                            BatchLogSinkOptions{.max_queue_size = 4, .max_export_batch_size = 5}),
               Error);
}

}  // namespace
}  // namespace lumen::log
