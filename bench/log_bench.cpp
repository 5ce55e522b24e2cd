// Structured logging: lumen::log beside spdlog (Debian's 1.10), both writing JSON lines to files
// under /tmp/lumen_log_bench. Records carry the same five fields.
//
//   build/bench/log_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <spdlog/async.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/spdlog.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "log/line_formatter.hpp"
#include "log/record.hpp"
#include "lumen/log/file_sink.hpp"
#include "lumen/log/logger.hpp"
#include "lumen/log/sink.hpp"

namespace {

namespace fs = std::filesystem;
using lumen::log::Level;
using lumen::log::Logger;
using lumen::log::LoggerOptions;

const fs::path& bench_dir() {
  static const fs::path dir = [] {
    fs::path d = "/tmp/lumen_log_bench";
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

std::shared_ptr<lumen::log::Sink> file_sink(const char* name) {
  return std::make_shared<lumen::log::RotatingFileSink>(lumen::log::FileSinkOptions{
      .path = (bench_dir() / name).string(), .max_bytes = 64ULL << 20, .max_files = 2});
}

// Every lumen logger here: the service named as spdlog's lines name it (kSpdlogFormat), whatever
// the executable is called.
LoggerOptions bench_options() {
  return LoggerOptions{.queue_capacity = 8192, .service = "log_bench"};
}

// The record every benchmark here writes: a message and five fields (two strings, an integer, a
// double, a bool), as the gateway logs a completed AI request.
void log_ai_request(Logger& logger, std::int64_t tokens) {
  logger.info("AI request completed", {{"model", "gemini-2.0-flash"},
                                       {"operation", "analyze"},
                                       {"tokens", tokens},
                                       {"duration_ms", 812.5},
                                       {"cached", false}});
}

// Shared by the threads of a multi-threaded run, created once.
Logger& async_logger() {
  static Logger logger(bench_options(), {file_sink("lumen_async.log")});
  return logger;
}

void BM_LogInfo_5Fields(benchmark::State& state) {
  Logger& logger = async_logger();
  std::int64_t i = 0;
  for (auto _ : state) {
    log_ai_request(logger, ++i);
  }
  if (state.thread_index() == 0) (void)logger.flush(std::chrono::seconds(30));
}
BENCHMARK(BM_LogInfo_5Fields);
BENCHMARK(BM_LogInfo_5Fields)->Threads(2);

// A caller the queue does not hold back: each burst of kBurst records fits in the 8192 slots, and
// the writer empties the queue between bursts (untimed). Time and CPU are per burst;
// ns_per_record is the caller's wall time per record.
constexpr int kBurst = 4096;

void BM_LogInfo_5Fields_QueueNotFull(benchmark::State& state) {
  Logger logger(bench_options(), {file_sink("lumen_burst.log")});
  std::int64_t i = 0;
  for (auto _ : state) {
    for (int k = 0; k < kBurst; ++k) {
      log_ai_request(logger, ++i);
    }
    state.PauseTiming();
    if (!logger.flush(std::chrono::seconds(30))) state.SkipWithError("flush timed out");
    state.ResumeTiming();
  }
  state.counters["ns_per_record"] = benchmark::Counter(
      kBurst * 1e-9, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_LogInfo_5Fields_QueueNotFull)->UseRealTime();

// The macro checks the level before the five fields are built.
void BM_LogFiltered(benchmark::State& state) {
  Logger& logger = async_logger();
  for (auto _ : state) {
    LUMEN_LOG_DEBUG(logger, "cache lookup",
                    {{"model", "gemini-2.0-flash"},
                     {"operation", "analyze"},
                     {"tokens", 1},
                     {"duration_ms", 812.5},
                     {"cached", false}});
  }
}
BENCHMARK(BM_LogFiltered);

// The method call: its field list is built before the inline level check.
void BM_LogFiltered_MethodCall(benchmark::State& state) {
  Logger& logger = async_logger();
  for (auto _ : state) {
    logger.debug("cache lookup", {{"model", "gemini-2.0-flash"},
                                  {"operation", "analyze"},
                                  {"tokens", 1},
                                  {"duration_ms", 812.5},
                                  {"cached", false}});
  }
}
BENCHMARK(BM_LogFiltered_MethodCall);

// Records between two flushes in the end-to-end benchmarks: twice the queue's 8192 slots, so that
// the queue fills and stays full and the writer's pace sets the time. (With 1000 a flush, the
// queue never filled: each flush drained it, and the time also counted the writer waking up to
// each new burst.)
constexpr int kBatch = 16384;

// The ids of this process's threads named `name` (the writer names its thread "lumen-log").
std::set<std::string> threads_named(const std::string& name) {
  std::set<std::string> ids;
  for (const auto& task : fs::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string line;
    if (std::getline(comm, line) && line == name) ids.insert(task.path().filename().string());
  }
  return ids;
}

// The CPU time a thread of this process has run, in nanoseconds (schedstat's first field).
double thread_cpu_ns(const std::string& id) {
  std::ifstream schedstat(fs::path("/proc/self/task") / id / "schedstat");
  double ns = 0;
  schedstat >> ns;
  return ns;
}

// Real time per record is the writer's throughput while the writer is the slower side (the queue
// then stays full); writer_cpu_ns_per_record is the writer thread's own CPU time, which the load
// of a shared machine changes less.
void BM_LogEndToEnd_5Fields(benchmark::State& state) {
  const std::set<std::string> before = threads_named("lumen-log");
  Logger logger(bench_options(), {file_sink("lumen_e2e.log")});
  std::int64_t n = 0;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      log_ai_request(logger, ++n);
    }
    if (!logger.flush(std::chrono::seconds(30))) state.SkipWithError("flush timed out");
  }
  state.counters["ns_per_record"] = benchmark::Counter(
      kBatch * 1e-9, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  // The new writer names its thread once it runs: looked up now, its CPU time is all of its life
  // (it was idle before the first record).
  std::string writer;
  for (const std::string& id : threads_named("lumen-log")) {
    if (before.count(id) == 0) writer = id;
  }
  if (!writer.empty() && state.iterations() > 0) {
    state.counters["writer_cpu_ns_per_record"] =
        thread_cpu_ns(writer) / (static_cast<double>(state.iterations()) * kBatch);
  }
}
BENCHMARK(BM_LogEndToEnd_5Fields)->UseRealTime();

// The floor under the writer's figure: the same file sink given the same lines already formatted
// (a record of BM_LogEndToEnd_5Fields, 240 bytes and the newline), in bursts of kBatch and a flush,
// as the writer hands them over. A writer that formatted in no time would still pay this per
// record: the copy into the sink's buffer, the kernel's write into the page cache, the rotations.
void BM_FileSinkOnly_FormattedLines(benchmark::State& state) {
  const std::shared_ptr<lumen::log::Sink> sink = file_sink("lumen_sink_only.log");
  const std::string line =
      R"({"timestamp":"2026-12-05T10:38:42.198Z","level":"info","message":"AI request completed",)"
      R"("service":"log_bench","environment":"development","model":)"
      R"("gemini-2.0-flash","operation":"analyze","tokens":19487918,"duration_ms":812.5,)"
      R"("cached":false})";
  const lumen::log::FormattedRecord record{.level = Level::kInfo, .wall_ns = 0, .json = line};
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      if (!sink->write(record)) state.SkipWithError("the sink failed");
    }
    if (!sink->flush()) state.SkipWithError("the sink failed to flush");
  }
  state.counters["ns_per_record"] = benchmark::Counter(
      kBatch * 1e-9, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["line_bytes"] = static_cast<double>(line.size() + 1);
}
BENCHMARK(BM_FileSinkOnly_FormattedLines)->UseRealTime();

// The other part of the writer's figure: the same record's JSON line made from its encoding, as
// the writer makes it for each slot, with no queue, no other thread and no file. The timestamp
// advances 130 ns a record, as at the writer's pace.
void BM_WriterFormatOnly_5Fields(benchmark::State& state) {
  const lumen::log::Field fields[] = {{"model", "gemini-2.0-flash"},
                                      {"operation", "analyze"},
                                      {"tokens", std::int64_t{19487918}},
                                      {"duration_ms", 812.5},
                                      {"cached", false}};
  const std::string encoded = lumen::log::detail::encode("AI request completed", fields, 5);
  lumen::log::detail::LineFormatter formatter(bench_options());
  std::uint64_t wall_ns = 1'764'931'122'198'000'000ULL;
  lumen::log::FormattedRecord record{};
  std::size_t bytes = 0;
  for (auto _ : state) {
    lumen::log::detail::Reader reader(encoded);
    const std::string_view message = reader.str();
    wall_ns += 130;
    formatter.format(Level::kInfo, wall_ns, message, nullptr, reader, record);
    bytes += record.json.size();
  }
  benchmark::DoNotOptimize(bytes);
}
BENCHMARK(BM_WriterFormatOnly_5Fields);

// spdlog writes the same JSON line as lumen, member for member: the fields are formatted into the
// message by fmt, and the resource's members that lumen's formatter adds to every line (the
// service's name and the environment) are fixed text in the format.
constexpr const char* kSpdlogPattern =
    R"({"timestamp":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","message":"%v})";
constexpr const char* kSpdlogFormat =
    R"(AI request completed","service":"log_bench","environment":"development",)"
    R"("model":"{}","operation":"{}","tokens":{},"duration_ms":{},"cached":{})";

// Rotated as lumen's files are (file_sink above): the same work per line, and a run of the
// benchmarks leaves at most a few hundred MB behind instead of growing a file by gigabytes.
std::shared_ptr<spdlog::sinks::rotating_file_sink_mt> spdlog_file_sink(const char* name) {
  return std::make_shared<spdlog::sinks::rotating_file_sink_mt>((bench_dir() / name).string(),
                                                                64ULL << 20, 1);
}

std::shared_ptr<spdlog::logger> spdlog_async() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    spdlog::init_thread_pool(8192, 1);
    auto sink = spdlog_file_sink("spdlog_async.log");
    auto l = std::make_shared<spdlog::async_logger>("bench_async", sink, spdlog::thread_pool(),
                                                    spdlog::async_overflow_policy::block);
    l->set_pattern(kSpdlogPattern, spdlog::pattern_time_type::utc);
    l->set_level(spdlog::level::info);
    return l;
  }();
  return logger;
}

void BM_Spdlog_AsyncInfo_5Fields(benchmark::State& state) {
  auto logger = spdlog_async();
  std::int64_t i = 0;
  for (auto _ : state) {
    logger->info(kSpdlogFormat, "gemini-2.0-flash", "analyze", ++i, 812.5, false);
  }
  logger->flush();
}
BENCHMARK(BM_Spdlog_AsyncInfo_5Fields);

// spdlog's caller in the same bursts as BM_LogInfo_5Fields_QueueNotFull, into its queue of 8192:
// between bursts (untimed) its thread pool empties the queue.
void BM_Spdlog_AsyncInfo_5Fields_QueueNotFull(benchmark::State& state) {
  auto logger = spdlog_async();
  std::int64_t i = 0;
  for (auto _ : state) {
    for (int k = 0; k < kBurst; ++k) {
      logger->info(kSpdlogFormat, "gemini-2.0-flash", "analyze", ++i, 812.5, false);
    }
    state.PauseTiming();
    while (spdlog::thread_pool()->queue_size() != 0) std::this_thread::yield();
    state.ResumeTiming();
  }
  logger->flush();
  state.counters["ns_per_record"] = benchmark::Counter(
      kBurst * 1e-9, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_Spdlog_AsyncInfo_5Fields_QueueNotFull)->UseRealTime();

std::shared_ptr<spdlog::logger> spdlog_sync() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto sink = spdlog_file_sink("spdlog_sync.log");
    auto l = std::make_shared<spdlog::logger>("bench_sync", sink);
    l->set_pattern(kSpdlogPattern, spdlog::pattern_time_type::utc);
    l->set_level(spdlog::level::info);
    return l;
  }();
  return logger;
}

void BM_Spdlog_SyncFile_5Fields(benchmark::State& state) {
  auto logger = spdlog_sync();
  std::int64_t i = 0;
  for (auto _ : state) {
    logger->info(kSpdlogFormat, "gemini-2.0-flash", "analyze", ++i, 812.5, false);
  }
  logger->flush();
}
BENCHMARK(BM_Spdlog_SyncFile_5Fields);

void BM_Spdlog_Filtered(benchmark::State& state) {
  auto logger = spdlog_sync();
  for (auto _ : state) {
    logger->debug(kSpdlogFormat, "gemini-2.0-flash", "analyze", 1, 812.5, false);
  }
}
BENCHMARK(BM_Spdlog_Filtered);

// The first line of a file, its timestamp's value cut out (the two loggers write at different
// times).
std::string line_without_timestamp(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  const std::string key = R"("timestamp":")";
  const std::size_t start = line.find(key);
  if (start == std::string::npos) return line;
  const std::size_t value = start + key.size();
  return line.erase(value, line.find('"', value) - value);
}

// The ratios to spdlog hold only if both write the same line: checked before any benchmark.
bool peers_write_the_same_line() {
  for (const char* name : {"same_line_lumen.log", "same_line_spdlog.log"}) {
    fs::remove(bench_dir() / name);  // a run that stopped early may have left one
  }
  {
    Logger logger(bench_options(), {file_sink("same_line_lumen.log")});
    log_ai_request(logger, 42);
    if (!logger.flush(std::chrono::seconds(30))) return false;
  }
  {
    spdlog::logger logger("same_line", spdlog_file_sink("same_line_spdlog.log"));
    logger.set_pattern(kSpdlogPattern, spdlog::pattern_time_type::utc);
    logger.info(kSpdlogFormat, "gemini-2.0-flash", "analyze", 42, 812.5, false);
    logger.flush();
  }
  const std::string ours = line_without_timestamp(bench_dir() / "same_line_lumen.log");
  const std::string theirs = line_without_timestamp(bench_dir() / "same_line_spdlog.log");
  if (ours == theirs && !ours.empty()) return true;
  std::fprintf(stderr, "log_bench: lumen and spdlog write different lines:\n  %s\n  %s\n",
               ours.c_str(), theirs.c_str());
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (!peers_write_the_same_line()) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  // Every benchmark has flushed its logger; a file a static logger still holds open goes with
  // the directory all the same (unlinked, freed when the process ends).
  spdlog::shutdown();
  std::error_code ignored;
  fs::remove_all(bench_dir(), ignored);
  return 0;
}
