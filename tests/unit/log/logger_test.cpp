#include "lumen/log/logger.hpp"

#include <gtest/gtest.h>
#include <pthread.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "eventually.hpp"
#include "lumen/core/context.hpp"
#include "lumen/core/environment.hpp"
#include "lumen/core/error.hpp"
#include "lumen/core/resource.hpp"
#include "thread_names.hpp"

namespace lumen::log {
namespace {

using lumen::testing::threads_named;
using nlohmann::json;
using std::chrono::milliseconds;

// Keeps every line; each one must parse as JSON.
class MemorySink : public Sink {
 public:
  bool write(const FormattedRecord& r) override {
    std::lock_guard lock(mutex_);
    lines_.emplace_back(r.json);
    return true;
  }
  std::vector<std::string> raw() {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  std::vector<json> parsed() {
    std::lock_guard lock(mutex_);
    std::vector<json> out;
    for (const auto& l : lines_) {
      EXPECT_EQ(l.find('\n'), std::string::npos);
      out.push_back(json::parse(l));  // throws (and fails the test) on invalid JSON
    }
    return out;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

struct Fixture {
  explicit Fixture(LoggerOptions options = {})
      : sink(std::make_shared<MemorySink>()), logger(std::move(options), {sink}) {}
  std::vector<json> lines() {
    EXPECT_TRUE(logger.flush(milliseconds(2000)));
    return sink->parsed();
  }
  std::shared_ptr<MemorySink> sink;
  Logger logger;
};

TEST(Logger, FieldsAndTypesRoundTrip) {
  Fixture f;
  const std::string owned = "owned string";
  f.logger.info("hello", {{"s", "text"},
                          {"owned", owned},
                          {"i", std::int64_t{-42}},
                          {"u", std::uint64_t{18446744073709551615ULL}},
                          {"d", 3.25},
                          {"t", true},
                          {"n", nullptr},
                          {"obj", Object{{"a", 1}, {"b", Object{{"c", "deep"}}}}},
                          {"arr", Array{1, "two", 3.5, false, nullptr}}});
  const auto lines = f.lines();
  ASSERT_EQ(lines.size(), 1u);
  const json& j = lines[0];
  EXPECT_EQ(j["message"], "hello");
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["s"], "text");
  EXPECT_EQ(j["owned"], "owned string");
  EXPECT_EQ(j["i"].get<std::int64_t>(), -42);
  EXPECT_EQ(j["u"].get<std::uint64_t>(), 18446744073709551615ULL);
  EXPECT_DOUBLE_EQ(j["d"].get<double>(), 3.25);
  EXPECT_EQ(j["t"], true);
  EXPECT_TRUE(j["n"].is_null());
  EXPECT_EQ(j["obj"]["a"], 1);
  EXPECT_EQ(j["obj"]["b"]["c"], "deep");
  EXPECT_EQ(j["arr"], json::parse(R"([1,"two",3.5,false,null])"));
  // No service in the options: the OpenTelemetry default, as the resource would name it.
  EXPECT_EQ(j["service"], default_service_name(Environment::process()));
  EXPECT_EQ(j["environment"], "development");
  // ISO-8601 UTC with milliseconds.
  const std::string ts = j["timestamp"];
  ASSERT_EQ(ts.size(), 24u) << ts;
  EXPECT_EQ(ts[4], '-');
  EXPECT_EQ(ts[10], 'T');
  EXPECT_EQ(ts[19], '.');
  EXPECT_EQ(ts[23], 'Z');
}

TEST(Logger, TimestampComesFromTheClock) {
  ManualClock clock(1'700'000'000'123'000'000ULL);
  Fixture f(LoggerOptions{.clock = &clock});
  f.logger.info("at a known time");
  EXPECT_EQ(f.lines().at(0)["timestamp"], "2023-11-14T22:13:20.123Z");
}

TEST(Logger, NonFiniteDoublesBecomeNull) {
  Fixture f;
  f.logger.info("nan", {{"x", std::numeric_limits<double>::quiet_NaN()},
                        {"y", std::numeric_limits<double>::infinity()}});
  const auto j = f.lines().at(0);
  EXPECT_TRUE(j["x"].is_null());
  EXPECT_TRUE(j["y"].is_null());
}

SpanContext make_span() {
  std::array<std::uint8_t, 16> t{};
  std::array<std::uint8_t, 8> s{};
  for (std::size_t i = 0; i < t.size(); ++i) t[i] = static_cast<std::uint8_t>(0xA0 + i);
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<std::uint8_t>(0x1B + i);
  return SpanContext(TraceId(t), SpanId(s), SpanContext::kSampledFlag);
}

TEST(Logger, CorrelatesWithTheCurrentSpanAndOnlyInsideIt) {
  Fixture f;
  const SpanContext span = make_span();
  {
    auto scope = Context::current().with_span(span).activate();
    f.logger.info("inside");
  }
  f.logger.info("outside");
  const auto lines = f.lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["traceId"], span.trace_id().to_hex());
  EXPECT_EQ(lines[0]["spanId"], span.span_id().to_hex());
  EXPECT_EQ(lines[0]["traceId"], "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
  EXPECT_FALSE(lines[1].contains("traceId"));
  EXPECT_FALSE(lines[1].contains("spanId"));
}

TEST(Logger, OpenTelemetryTraceKeysByOption) {
  Fixture f(LoggerOptions{.trace_keys = TraceKeys::kSnakeCase});
  auto scope = Context::current().with_span(make_span()).activate();
  f.logger.warn("inside");
  const auto j = f.lines().at(0);
  EXPECT_EQ(j["trace_id"], "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
  EXPECT_EQ(j["span_id"], "1b1c1d1e1f202122");
  EXPECT_FALSE(j.contains("traceId"));
}

TEST(Logger, FiltersBelowTheLevel) {
  Fixture f(LoggerOptions{.level = Level::kWarn});
  EXPECT_FALSE(f.logger.enabled(Level::kInfo));
  EXPECT_TRUE(f.logger.enabled(Level::kError));
  f.logger.trace("t");
  f.logger.debug("d");
  f.logger.info("i");
  f.logger.warn("w");
  f.logger.error("e");
  f.logger.fatal("f");
  f.logger.set_level(Level::kTrace);
  f.logger.trace("t2");
  const auto lines = f.lines();
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0]["level"], "warn");
  EXPECT_EQ(lines[1]["level"], "error");
  EXPECT_EQ(lines[2]["level"], "fatal");
  EXPECT_EQ(lines[3]["level"], "trace");
}

TEST(Logger, MacrosCheckTheLevelBeforeBuildingFields) {
  Fixture f;
  int built = 0;
  const auto count = [&built] { return ++built; };
  LUMEN_LOG_DEBUG(f.logger, "skipped", {{"n", count()}});
  EXPECT_EQ(built, 0);
  LUMEN_LOG_INFO(f.logger, "kept", {{"n", count()}});
  EXPECT_EQ(built, 1);
  const auto lines = f.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["message"], "kept");
  EXPECT_EQ(lines[0]["n"], 1);
}

TEST(Logger, ValuesNestedBeyondTheDepthLimitEndInAMarker) {
  constexpr std::size_t kDepth = 200'000;  // deep enough to overflow any thread's stack
  std::vector<Value> arrays;
  arrays.reserve(kDepth);
  arrays.emplace_back(Array(nullptr, 0));
  for (std::size_t i = 1; i < kDepth; ++i) arrays.emplace_back(Array(&arrays[i - 1], 1));
  std::vector<Field> objects;
  objects.reserve(kDepth);
  objects.push_back(Field{"leaf", 1});
  for (std::size_t i = 1; i < kDepth; ++i) {
    objects.push_back(Field{"o", Object(&objects[i - 1], 1)});
  }

  Fixture f;
  f.logger.info("deep", {{"arrays", arrays.back()}, {"objects", objects.back().value}});
  const auto lines = f.lines();
  ASSERT_EQ(lines.size(), 1u);
  const json* a = &lines[0]["arrays"];
  const json* o = &lines[0]["objects"];
  for (std::size_t level = 1; level <= 64; ++level) {
    ASSERT_TRUE(a->is_array() && a->size() == 1) << "level " << level;
    ASSERT_TRUE(o->is_object() && o->size() == 1) << "level " << level;
    a = &(*a)[0];
    o = &(*o)["o"];
  }
  EXPECT_EQ(*a, "[too deep]");
  EXPECT_EQ(*o, "[too deep]");
}

// Parses a line, failing the test on a key that appears twice in one object (JSON.parse and
// json.loads would silently keep the last).
json parse_rejecting_duplicate_keys(const std::string& line) {
  std::vector<std::set<std::string>> open;
  const json::parser_callback_t check = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) open.emplace_back();
    if (event == json::parse_event_t::object_end) open.pop_back();
    const bool key = event == json::parse_event_t::key;
    if (key && !open.back().insert(parsed.get<std::string>()).second) {
      ADD_FAILURE() << "duplicate key " << parsed << " in " << line;
    }
    return true;
  };
  return json::parse(line, check);
}

json the_only_line_rejecting_duplicate_keys(Fixture& f) {
  EXPECT_TRUE(f.logger.flush(milliseconds(2000)));
  const auto raw = f.sink->raw();
  EXPECT_EQ(raw.size(), 1u);
  return raw.empty() ? json() : parse_rejecting_duplicate_keys(raw.back());
}

TEST(Logger, FieldsNeverShadowTheKeysTheLoggerWrites) {
  Fixture f(LoggerOptions{.service = "checkout", .environment = "staging"});
  auto scope = Context::current().with_span(make_span()).activate();
  f.logger.info("the real message", {{"timestamp", "1999"},
                                     {"level", "fatal"},
                                     {"message", "spoofed message"},
                                     {"service", "spoofed"},
                                     {"environment", "spoofed env"},
                                     {"traceId", "t"},
                                     {"spanId", "s"},
                                     {"trace_id", "t_"},
                                     {"span_id", "s_"},
                                     {"field.level", "already prefixed"},
                                     {"nested", Object{{"level", "kept"}}}});
  const json j = the_only_line_rejecting_duplicate_keys(f);
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["message"], "the real message");
  EXPECT_EQ(j["service"], "checkout");
  EXPECT_EQ(j["environment"], "staging");
  EXPECT_EQ(j["traceId"], "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
  EXPECT_NE(j["timestamp"], "1999");
  EXPECT_EQ(j["field.timestamp"], "1999");
  EXPECT_EQ(j["field.level"], "fatal");
  EXPECT_EQ(j["field.message"], "spoofed message");
  EXPECT_EQ(j["field.service"], "spoofed");
  EXPECT_EQ(j["field.environment"], "spoofed env");
  EXPECT_EQ(j["field.traceId"], "t");
  EXPECT_EQ(j["field.spanId"], "s");
  EXPECT_EQ(j["field.trace_id"], "t_");
  EXPECT_EQ(j["field.span_id"], "s_");
  EXPECT_EQ(j["field.field.level"], "already prefixed");
  EXPECT_EQ(j["nested"]["level"], "kept");
}

TEST(Logger, BoundFieldsNeverShadowTheKeysTheLoggerWrites) {
  Fixture f(LoggerOptions{.service = "checkout", .environment = "staging"});
  f.logger.child({{"service", "spoofed"}}).info("from a child", {{"level", "fatal"}});
  const json j = the_only_line_rejecting_duplicate_keys(f);
  EXPECT_EQ(j["service"], "checkout");
  EXPECT_EQ(j["field.service"], "spoofed");
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["field.level"], "fatal");
}

TEST(LoggerOptions, LevelAndDefaultFieldsFromTheEnvironment) {
  const Environment env(std::map<std::string, std::string>{{"LOG_LEVEL", "Error"}});
  const Resource resource(
      Attributes{{"service.name", "checkout"}, {"deployment.environment", "production"}});
  const LoggerOptions o = LoggerOptions::from_environment(env, resource);
  EXPECT_EQ(o.level, Level::kError);
  EXPECT_EQ(o.service, "checkout");
  EXPECT_EQ(o.environment, "production");
  EXPECT_EQ(
      LoggerOptions::from_environment(Environment(std::map<std::string, std::string>{}), resource)
          .level,
      Level::kInfo);
}

TEST(LoggerOptions, RejectsAnUnknownLogLevel) {
  const Environment env(std::map<std::string, std::string>{{"LOG_LEVEL", "verbose"}});
  EXPECT_THROW((void)LoggerOptions::from_environment(env, Resource()), lumen::Error);
}

TEST(Logger, ChildLoggersCarryBoundFields) {
  Fixture f;
  auto child = f.logger.child({{"request_id", "r-1"}, {"user", 7}});
  auto grandchild = child.child({{"step", "resize"}});
  child.info("from child", {{"extra", true}});
  grandchild.info("from grandchild");
  f.logger.info("from parent");
  const auto lines = f.lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["request_id"], "r-1");
  EXPECT_EQ(lines[0]["user"], 7);
  EXPECT_EQ(lines[0]["extra"], true);
  EXPECT_EQ(lines[1]["request_id"], "r-1");
  EXPECT_EQ(lines[1]["step"], "resize");
  EXPECT_FALSE(lines[2].contains("request_id"));
}

// Records live inside the queue's slots; a larger one spills to a block the slot keeps. Mix sizes
// so that slots switch between the two, with a child's bound fields in front of the record. In a
// ring of 4 slots (a position's slot found with a mask) and of 3 (with a remainder).
TEST(Logger, AsyncRecordsOfEverySizeRoundTripWithBoundFields) {
  for (const std::size_t capacity : {4u, 3u}) {
    SCOPED_TRACE(capacity);
    Fixture f(LoggerOptions{.queue_capacity = capacity});
    auto child = f.logger.child({{"request_id", "r-42"}, {"nested", Object{{"a", 1}}}});
    std::vector<std::string> texts;
    for (std::size_t n : {0u, 10u, 150u, 170u, 200u, 5000u, 3u, 100000u, 40u}) {
      texts.push_back(std::string(n, static_cast<char>('a' + n % 26)));
    }
    for (std::size_t i = 0; i < texts.size(); ++i) {
      child.info(texts[i], {{"i", i}, {"text", texts[i]}});
      f.logger.info("plain", {{"i", i}});
    }
    const auto lines = f.lines();
    ASSERT_EQ(lines.size(), 2 * texts.size());
    for (std::size_t i = 0; i < texts.size(); ++i) {
      const json& c = lines[2 * i];
      EXPECT_EQ(c["message"], texts[i]);
      EXPECT_EQ(c["text"], texts[i]);
      EXPECT_EQ(c["i"], i);
      EXPECT_EQ(c["request_id"], "r-42");
      EXPECT_EQ(c["nested"]["a"], 1);
      const json& p = lines[2 * i + 1];
      EXPECT_EQ(p["message"], "plain");
      EXPECT_FALSE(p.contains("request_id"));
    }
  }
}

TEST(Logger, RedactsConfiguredKeysAtAnyDepth) {
  Fixture f;
  auto child = f.logger.child({{"Authorization", "Bearer abc"}});
  child.info("login", {{"password", "hunter2"},
                       {"user", Object{{"name", "ann"},
                                       {"api_key", "k-123"},
                                       {"nested", Object{{"token", Object{{"v", "t"}}}}}}},
                       {"safe", "visible"}});
  const auto j = f.lines().at(0);
  EXPECT_EQ(j["Authorization"], "[REDACTED]");
  EXPECT_EQ(j["password"], "[REDACTED]");
  EXPECT_EQ(j["user"]["api_key"], "[REDACTED]");
  EXPECT_EQ(j["user"]["nested"]["token"], "[REDACTED]");
  EXPECT_EQ(j["user"]["name"], "ann");
  EXPECT_EQ(j["safe"], "visible");
  EXPECT_EQ(j.dump().find("hunter2"), std::string::npos);
  EXPECT_EQ(j.dump().find("k-123"), std::string::npos);
}

TEST(Logger, RateLimitsRepeatedMessagesAndReportsTheSuppressedCount) {
  ManualClock clock;
  Fixture f(LoggerOptions{
      .rate_limit_burst = 2, .rate_limit_window = milliseconds(1000), .clock = &clock});
  for (int i = 0; i < 10; ++i) f.logger.error("upstream down", {{"i", i}});
  f.logger.error("different message");
  EXPECT_EQ(f.logger.flush(milliseconds(2000)), true);
  EXPECT_EQ(f.logger.stats().suppressed, 8u);
  clock.advance(milliseconds(1500));
  f.logger.error("upstream down", {{"i", 99}});
  const auto lines = f.lines();
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0]["i"], 0);
  EXPECT_EQ(lines[1]["i"], 1);
  EXPECT_EQ(lines[2]["message"], "different message");
  EXPECT_EQ(lines[3]["suppressed"], 8);
  EXPECT_EQ(lines[3]["suppressed_message"], "upstream down");
  EXPECT_EQ(lines[4]["i"], 99);
}

TEST(Logger, SynchronousModeWritesBeforeReturning) {
  auto sink = std::make_shared<MemorySink>();
  Logger logger(LoggerOptions{.asynchronous = false}, {sink});
  logger.info("now", {{"k", 1}});
  const auto lines = sink->parsed();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["k"], 1);
}

// A sink that blocks in write() until released, so tests control the writer exactly.
class GateSink : public Sink {
 public:
  bool write(const FormattedRecord& r) override {
    std::unique_lock lock(mutex_);
    ++entered_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
    lines_.emplace_back(r.json);
    return true;
  }
  bool wait_entered(int n) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, std::chrono::seconds(5), [&] { return entered_ >= n; });
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    cv_.notify_all();
  }
  std::vector<json> parsed() {
    std::lock_guard lock(mutex_);
    std::vector<json> out;
    for (const auto& l : lines_) out.push_back(json::parse(l));
    return out;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  int entered_ = 0;
  bool open_ = false;
  std::vector<std::string> lines_;
};

TEST(Logger, DropPolicyCountsExactlyWhatItDrops) {
  auto gate = std::make_shared<GateSink>();
  constexpr std::size_t kCapacity = 8;
  Logger logger(LoggerOptions{.queue_capacity = kCapacity,
                              .overflow = OverflowPolicy::kDrop,
                              .drop_report_interval = milliseconds(0)},
                {gate});
  logger.info("first");
  ASSERT_TRUE(gate->wait_entered(1));  // the writer holds "first" and is stuck in the sink
  constexpr int kExtra = 5;
  for (std::size_t i = 0; i < kCapacity + kExtra; ++i) {
    logger.info("burst", {{"i", static_cast<std::int64_t>(i)}});
  }
  EXPECT_EQ(logger.stats().dropped, static_cast<std::uint64_t>(kExtra));
  gate->open();
  ASSERT_TRUE(logger.flush(milliseconds(3000)));
  const auto lines = gate->parsed();
  ASSERT_EQ(lines.size(), 1 + kCapacity + 1);
  for (std::size_t i = 0; i < kCapacity; ++i) EXPECT_EQ(lines[1 + i]["i"], i);
  const json& warning = lines.back();
  EXPECT_EQ(warning["level"], "warn");
  EXPECT_EQ(warning["dropped"], kExtra);
  EXPECT_EQ(logger.stats().dropped, static_cast<std::uint64_t>(kExtra));
}

TEST(Logger, BlockPolicyWaitsAtMostItsTimeoutForAStuckWriterThenDropsAndCounts) {
  auto gate = std::make_shared<GateSink>();
  constexpr std::size_t kCapacity = 4;
  Logger logger(LoggerOptions{.queue_capacity = kCapacity,
                              .overflow = OverflowPolicy::kBlock,
                              .block_timeout = milliseconds(100),
                              .drop_report_interval = milliseconds(0)},
                {gate});
  logger.info("first");
  ASSERT_TRUE(gate->wait_entered(1));  // the writer is stuck in the sink
  for (std::size_t i = 0; i < kCapacity; ++i) logger.info("fits");
  const auto start = std::chrono::steady_clock::now();
  logger.info("no room");  // waits for the timeout, then gives up
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, milliseconds(90));
  EXPECT_LT(waited, milliseconds(3000));
  EXPECT_EQ(logger.stats().dropped, 1u);
  gate->open();
  ASSERT_TRUE(logger.flush(milliseconds(3000)));
  const auto lines = gate->parsed();
  ASSERT_GE(lines.size(), 1 + kCapacity);
  EXPECT_EQ(lines[kCapacity]["message"], "fits");
}

TEST(Logger, FlushReturnsFalseAtItsDeadlineWhenASinkHangs) {
  auto gate = std::make_shared<GateSink>();
  Logger logger(LoggerOptions{}, {gate});
  logger.info("stuck");
  ASSERT_TRUE(gate->wait_entered(1));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(logger.flush(milliseconds(100)));
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, milliseconds(90));
  EXPECT_LT(waited, milliseconds(2000));
  gate->open();
  EXPECT_TRUE(logger.flush(milliseconds(3000)));
  EXPECT_EQ(gate->parsed().size(), 1u);
}

TEST(Logger, ShutdownFlushesEverythingAndLaterRecordsAreIgnored) {
  Fixture f;
  for (int i = 0; i < 100; ++i) f.logger.info("before", {{"i", i}});
  EXPECT_TRUE(f.logger.shutdown(milliseconds(3000)));
  f.logger.info("after");
  const auto lines = f.sink->parsed();
  ASSERT_EQ(lines.size(), 100u);
  EXPECT_EQ(lines.back()["i"], 99);
}

// Notes the name of each thread that writes a line.
class ThreadNoteSink : public Sink {
 public:
  bool write(const FormattedRecord&) override {
    char name[16] = {};
    pthread_getname_np(pthread_self(), name, sizeof name);
    std::lock_guard lock(mutex_);
    ++lines_;
    names_.insert(name);
    return true;
  }
  std::size_t lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  std::set<std::string> names() {
    std::lock_guard lock(mutex_);
    return names_;
  }

 private:
  std::mutex mutex_;
  std::size_t lines_ = 0;
  std::set<std::string> names_;
};

TEST(Logger, WritesOnItsBackgroundWorkerWhichEndsWithTheLastHandleAfterWritingWhatWasPending) {
  const int before = threads_named("lumen-log");
  auto sink = std::make_shared<ThreadNoteSink>();
  constexpr std::size_t kRecords = 1000;
  {
    Logger logger(LoggerOptions{.queue_capacity = 64}, {sink});
    logger.info("first");
    ASSERT_TRUE(logger.flush(milliseconds(3000)));
    EXPECT_EQ(threads_named("lumen-log"), before + 1);
    for (std::size_t i = 1; i < kRecords; ++i) logger.info("more");
  }  // destroyed with records still queued
  EXPECT_EQ(sink->lines(), kRecords);
  EXPECT_EQ(sink->names(), std::set<std::string>{"lumen-log"});
  // A joined thread may stay listed for a moment after its join returns.
  EXPECT_TRUE(lumen::testing::eventually([&] { return threads_named("lumen-log") == before; }));
}

// A server logs a line per request: a steady stream of small bursts. A writer that went back to
// waiting for a wake after each burst it caught up with was woken (a futex call on the producer's
// side, a context switch on each) once per burst or more; it now lingers, napping for a
// millisecond and writing what came meanwhile, so it is scheduled about once per millisecond of
// the stream, however many bursts came.
TEST(Logger, ASteadyStreamOfRecordsDoesNotWakeTheWriterForEachBurst) {
  const std::vector<std::string> before = lumen::testing::thread_ids_named("lumen-log");
  auto sink = std::make_shared<ThreadNoteSink>();
  Logger logger(LoggerOptions{}, {sink});
  std::vector<std::string> writers;
  // The worker names its thread once it runs.
  ASSERT_TRUE(lumen::testing::eventually([&] {
    writers = lumen::testing::thread_ids_named("lumen-log");
    std::erase_if(writers,
                  [&](const std::string& id) { return std::ranges::count(before, id) > 0; });
    return writers.size() == 1;
  }));
  constexpr int kBursts = 400;
  constexpr int kPerBurst = 5;
  using SteadyClock = std::chrono::steady_clock;
  const std::uint64_t woken_before = lumen::testing::times_woken(writers[0]);
  const auto start = SteadyClock::now();
  for (int burst = 0; burst < kBursts; ++burst) {
    for (int i = 0; i < kPerBurst; ++i) logger.info("request completed", {{"burst", burst}});
    // A pause of 50 us, spent here rather than asleep: a sleep lasts longer on a loaded machine.
    const auto resume = SteadyClock::now() + std::chrono::microseconds(50);
    while (SteadyClock::now() < resume) {
    }
  }
  const auto elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start).count();
  const std::uint64_t woken = lumen::testing::times_woken(writers[0]) - woken_before;
  ASSERT_TRUE(logger.flush(milliseconds(3000)));
  EXPECT_EQ(sink->lines(), std::size_t{kBursts * kPerBurst});
  // About once per millisecond, with room; before, scheduled 409-1981 times in 40-55 ms.
  EXPECT_LE(woken, static_cast<std::uint64_t>(2 * elapsed_ms + 20)) << "in " << elapsed_ms << " ms";
}

// With nothing to write, the writer wakes only for its idle check (every 50 ms, for the drop
// report): a step that wrote nothing does not linger, which would add a nap to every check.
TEST(Logger, AnIdleWriterIsScheduledOncePerIdleCheck) {
  const std::vector<std::string> before = lumen::testing::thread_ids_named("lumen-log");
  auto sink = std::make_shared<ThreadNoteSink>();
  Logger logger(LoggerOptions{}, {sink});
  logger.info("started");
  ASSERT_TRUE(logger.flush(milliseconds(3000)));
  std::vector<std::string> writers = lumen::testing::thread_ids_named("lumen-log");
  std::erase_if(writers, [&](const std::string& id) { return std::ranges::count(before, id) > 0; });
  ASSERT_EQ(writers.size(), 1u);
  std::this_thread::sleep_for(milliseconds(20));  // the flush's step and its nap are over
  const std::uint64_t woken_before = lumen::testing::times_woken(writers[0]);
  const auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(milliseconds(500));
  const std::uint64_t woken = lumen::testing::times_woken(writers[0]) - woken_before;
  // One idle check per 50 ms of the time that passed (a sleep runs over on a loaded machine), one
  // wake-up each; two each when every check lingered.
  const auto checks =
      static_cast<std::uint64_t>((std::chrono::steady_clock::now() - start) / milliseconds(50));
  EXPECT_LE(woken, checks + 5) << checks << " idle checks";
  EXPECT_EQ(sink->lines(), 1u);
}

TEST(Logger, ShutdownGivesUpOnAHungSinkByItsDeadlineAndTheWriterEndsOnceTheSinkReturns) {
  auto gate = std::make_shared<GateSink>();
  const int before = threads_named("lumen-log");
  {
    Logger logger(LoggerOptions{}, {gate});
    logger.info("stuck");
    ASSERT_TRUE(gate->wait_entered(1));
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(logger.shutdown(milliseconds(100)));
    EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000));
  }  // the last handle goes while the sink still hangs: no wait here
  EXPECT_EQ(threads_named("lumen-log"), before + 1);
  gate->open();  // the writer finishes its step, then ends and frees the logger's state
  EXPECT_TRUE(lumen::testing::eventually([&] { return threads_named("lumen-log") == before; }));
  EXPECT_EQ(gate->parsed().size(), 1u);
}

}  // namespace
}  // namespace lumen::log
