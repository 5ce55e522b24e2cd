#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "eventually.hpp"
#include "lumen/log/console_sink.hpp"
#include "lumen/log/file_sink.hpp"
#include "lumen/log/logger.hpp"
#include "removed_files.hpp"

namespace lumen::log {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using std::chrono::milliseconds;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("lumen_log_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

std::vector<json> read_lines(const fs::path& file) {
  std::ifstream in(file);
  std::vector<json> out;
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
  return out;
}

TEST(RotatingFileSink, RotatesBySizeKeepsAtMostTheCountAndRemovesTheOldest) {
  TempDir dir;
  const fs::path file = dir.path() / "sub" / "combined.log";
  constexpr std::uint64_t kMax = 600;
  constexpr std::uint32_t kFiles = 3;
  auto sink = std::make_shared<RotatingFileSink>(
      FileSinkOptions{.path = file.string(), .max_bytes = kMax, .max_files = kFiles});
  Logger logger(LoggerOptions{.asynchronous = false}, {sink});
  constexpr int kRecords = 100;
  for (int i = 0; i < kRecords; ++i) logger.info("rotation record", {{"seq", i}});
  ASSERT_TRUE(logger.flush(milliseconds(1000)));

  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(file.parent_path())) files.push_back(e.path());
  EXPECT_EQ(files.size(), kFiles);
  for (const auto& f : files) EXPECT_LE(fs::file_size(f), kMax) << f;
  // Newest in the live file, then .1, .2; together a contiguous tail ending at the last record.
  std::vector<int> seqs;
  for (const auto& name : {file.string() + ".2", file.string() + ".1", file.string()}) {
    ASSERT_TRUE(fs::exists(name)) << name;
    for (const auto& j : read_lines(name)) seqs.push_back(j["seq"].get<int>());
  }
  ASSERT_FALSE(seqs.empty());
  EXPECT_EQ(seqs.back(), kRecords - 1);
  for (std::size_t i = 1; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], seqs[i - 1] + 1);
  EXPECT_GT(seqs.front(), 0);  // the oldest records were removed
  EXPECT_FALSE(fs::exists(file.string() + ".3"));
}

// A rotation closes the removed file on another thread (close_in_background.hpp): every one of
// them is closed all the same, and none is left open.
TEST(RotatingFileSink, ClosesEveryFileItRemoves) {
  TempDir dir;
  {
    RotatingFileSink sink(FileSinkOptions{
        .path = (dir.path() / "combined.log").string(), .max_bytes = 4096, .max_files = 2});
    const std::string line(1000, 'x');
    const FormattedRecord record{.level = Level::kInfo, .wall_ns = 0, .json = line};
    for (int i = 0; i < 2000; ++i) ASSERT_TRUE(sink.write(record));
    ASSERT_TRUE(sink.flush());
  }
  EXPECT_TRUE(testing::eventually([&] { return testing::removed_files_open(dir.path()) == 0; },
                                  std::chrono::seconds(10)));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 2);
}

TEST(RotatingFileSink, ErrorFileKeepsOnlyErrorAndAbove) {
  TempDir dir;
  auto errors = std::make_shared<RotatingFileSink>(
      FileSinkOptions{.path = (dir.path() / "error.log").string(), .min_level = Level::kError});
  auto combined = std::make_shared<RotatingFileSink>(
      FileSinkOptions{.path = (dir.path() / "combined.log").string()});
  {
    Logger logger(LoggerOptions{}, {errors, combined});
    logger.info("fine");
    logger.error("broken");
    logger.fatal("gone");
    ASSERT_TRUE(logger.flush(milliseconds(2000)));
  }
  const auto e = read_lines(dir.path() / "error.log");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0]["message"], "broken");
  EXPECT_EQ(e[1]["level"], "fatal");
  EXPECT_EQ(read_lines(dir.path() / "combined.log").size(), 3u);
}

TEST(RotatingFileSink, AFullDiskIsReportedCountedAndTheProcessContinues) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  auto full = std::make_shared<RotatingFileSink>(FileSinkOptions{.path = "/dev/full"});
  auto good_dir = TempDir();
  auto good = std::make_shared<RotatingFileSink>(
      FileSinkOptions{.path = (good_dir.path() / "ok.log").string()});
  Logger logger(LoggerOptions{}, {full, good});
  ::testing::internal::CaptureStderr();
  for (int i = 0; i < 20; ++i) {
    logger.info("to a full disk", {{"i", i}});
    ASSERT_TRUE(logger.flush(milliseconds(2000)));
  }
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_GE(logger.stats().sink_errors, 20u);
  EXPECT_NE(err.find("/dev/full"), std::string::npos) << err;
  EXPECT_NE(err.find("No space left on device"), std::string::npos) << err;
  // Reported once, not once per failure.
  const auto first = err.find("lumen log:");
  ASSERT_NE(first, std::string::npos) << err;
  EXPECT_EQ(err.find("lumen log:", first + 1), std::string::npos) << err;
  EXPECT_EQ(read_lines(good_dir.path() / "ok.log").size(), 20u);
}

// A full disk without root: past RLIMIT_FSIZE (SIGXFSZ ignored) a write is cut short and the next
// one fails with EFBIG, as writes do with ENOSPC. The limit is the process's: restored on exit.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) : old_handler_(std::signal(SIGXFSZ, SIG_IGN)) {
    ::getrlimit(RLIMIT_FSIZE, &old_);
    rlimit limited = old_;
    limited.rlim_cur = bytes;
    EXPECT_EQ(::setrlimit(RLIMIT_FSIZE, &limited), 0);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old_);
    std::signal(SIGXFSZ, old_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit old_{};
  void (*old_handler_)(int);
};

std::vector<std::string> raw_lines(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(RotatingFileSink, AFullDiskLosesWholeLinesOnlyAndCountsThem) {
  TempDir dir;
  const fs::path file = dir.path() / "combined.log";
  auto sink = std::make_shared<RotatingFileSink>(FileSinkOptions{.path = file.string()});
  Logger logger(LoggerOptions{}, {sink});
  const std::string padding(150, 'x');
  std::uint64_t logged = 0;
  ::testing::internal::CaptureStderr();
  {
    const FileSizeLimit full(16 * 1024 + 37);  // 37: the limit falls inside a line
    for (int i = 0; i < 1000; ++i, ++logged) {
      logger.info("while the disk is full", {{"seq", i}, {"padding", padding}});
      if (i % 100 == 99) {
        ASSERT_TRUE(logger.flush(milliseconds(2000)));
      }
    }
    ASSERT_TRUE(logger.flush(milliseconds(2000)));
  }
  for (int i = 0; i < 100; ++i, ++logged) logger.info("after space was freed", {{"seq", i}});
  ASSERT_TRUE(logger.flush(milliseconds(2000)));
  (void)::testing::internal::GetCapturedStderr();

  const auto lines = raw_lines(file);
  for (const auto& line : lines) EXPECT_TRUE(json::accept(line)) << line;
  ASSERT_GE(lines.size(), 100u);
  EXPECT_EQ(json::parse(lines.back())["message"], "after space was freed");
  const LoggerStats stats = logger.stats();
  EXPECT_GT(stats.lost, 0u);
  EXPECT_EQ(lines.size() + stats.lost, logged);
  EXPECT_EQ(sink->lost(), stats.lost);
}

// Bytes of disk the file holds (its allocated blocks, past its size included).
std::uint64_t allocated_bytes(const fs::path& file) {
  struct stat st {};
  EXPECT_EQ(::stat(file.c_str(), &st), 0);
  return static_cast<std::uint64_t>(st.st_blocks) * 512;
}

// The file's blocks are allocated a megabyte past its end at each flush, never past max_bytes,
// and its size and content are the lines alone.
TEST(RotatingFileSink, AllocatesTheFilesBlocksAheadOfItsEndButNotPastMaxBytes) {
  TempDir dir;
  const fs::path probe = dir.path() / "probe";
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  const bool supported = ::fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 4096) == 0;
  ::close(fd);
  if (!supported) GTEST_SKIP() << "the file system of " << dir.path() << " has no fallocate";

  const std::string line(99, 'x');
  const FormattedRecord record{.level = Level::kInfo, .wall_ns = 0, .json = line};
  for (const std::uint64_t max_bytes : {std::uint64_t{256} << 10, std::uint64_t{8} << 20}) {
    const fs::path file = dir.path() / ("max_" + std::to_string(max_bytes) + ".log");
    RotatingFileSink sink(FileSinkOptions{.path = file.string(), .max_bytes = max_bytes});
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(sink.write(record));
    ASSERT_TRUE(sink.flush());
    constexpr std::uint64_t kWritten = 100 * 100;
    EXPECT_EQ(fs::file_size(file), kWritten);
    const std::uint64_t expected = std::min<std::uint64_t>(kWritten + (1 << 20), max_bytes);
    EXPECT_GE(allocated_bytes(file), expected - 4096) << max_bytes;
    EXPECT_LE(allocated_bytes(file), expected + 4096) << max_bytes;
    EXPECT_EQ(raw_lines(file).size(), 100U);
  }
}

TEST(RotatingFileSink, CountsEveryRecordLostWhileTheFileCannotBeOpened) {
  auto sink = std::make_shared<RotatingFileSink>(
      FileSinkOptions{.path = "/proc/self/no-such-dir/combined.log"});
  Logger logger(LoggerOptions{}, {sink});
  ::testing::internal::CaptureStderr();
  for (int i = 0; i < 7; ++i) logger.info("nowhere to go");
  ASSERT_TRUE(logger.flush(milliseconds(2000)));
  (void)::testing::internal::GetCapturedStderr();
  EXPECT_EQ(logger.stats().lost, 7u);
}

void expect_just_one_line(const fs::path& file, std::string_view message) {
  const auto lines = read_lines(file);
  ASSERT_EQ(lines.size(), 1u) << file;
  EXPECT_EQ(lines[0]["message"], message);
}

// Logs "before", lets `move_away` act on the file, logs "after": the path must then hold just
// "after". The sink compares the path with its file at every flush.
void expect_a_new_file_after(const fs::path& file, const std::function<void()>& move_away) {
  auto sink = std::make_shared<RotatingFileSink>(
      FileSinkOptions{.path = file.string(), .reopen_check_interval = milliseconds(0)});
  Logger logger(LoggerOptions{}, {sink});
  logger.info("before");
  ASSERT_TRUE(logger.flush(milliseconds(2000)));
  move_away();
  logger.info("after");
  ASSERT_TRUE(logger.flush(milliseconds(2000)));
  ASSERT_TRUE(fs::exists(file));
  expect_just_one_line(file, "after");
}

TEST(RotatingFileSink, RecreatesADeletedFile) {
  TempDir dir;
  const fs::path file = dir.path() / "combined.log";
  expect_a_new_file_after(file, [&] { fs::remove(file); });
}

TEST(RotatingFileSink, FollowsLogrotateCreateMode) {
  TempDir dir;
  const fs::path file = dir.path() / "combined.log";
  const fs::path rotated = dir.path() / "combined.log.rotated";
  expect_a_new_file_after(file, [&] { fs::rename(file, rotated); });
  EXPECT_EQ(read_lines(rotated).size(), 1u);
}

TEST(RotatingFileSink, LooksForAMovedFileAtMostOncePerCheckInterval) {
  TempDir dir;
  const fs::path file = dir.path() / "combined.log";
  ManualClock clock;
  auto sink = std::make_shared<RotatingFileSink>(FileSinkOptions{
      .path = file.string(), .reopen_check_interval = milliseconds(1000), .clock = &clock});
  Logger logger(LoggerOptions{}, {sink});
  fs::remove(file);
  logger.info("into the removed file");
  ASSERT_TRUE(logger.flush(milliseconds(2000)));
  EXPECT_FALSE(fs::exists(file));
  clock.advance(milliseconds(1000));
  logger.info("into a new file");
  ASSERT_TRUE(logger.flush(milliseconds(2000)));
  expect_just_one_line(file, "into a new file");
}

Logger* logger_to_reopen = nullptr;
extern "C" void reopen_on_sighup(int) {
  logger_to_reopen->reopen();
}

TEST(RotatingFileSink, ReopensWhenASighupHandlerCallsLoggerReopen) {
  TempDir dir;
  const fs::path file = dir.path() / "combined.log";
  const fs::path rotated = dir.path() / "combined.log.1";
  auto sink = std::make_shared<RotatingFileSink>(
      FileSinkOptions{.path = file.string(), .reopen_check_interval = std::chrono::hours(24)});
  Logger logger(LoggerOptions{}, {sink});
  logger_to_reopen = &logger;
  struct sigaction action {};
  struct sigaction previous {};
  action.sa_handler = reopen_on_sighup;
  ASSERT_EQ(::sigaction(SIGHUP, &action, &previous), 0);
  logger.info("before");
  ASSERT_TRUE(logger.flush(milliseconds(2000)));
  fs::rename(file, rotated);
  logger.info("still into the moved file: no check is due");
  ASSERT_TRUE(logger.flush(milliseconds(2000)));
  ASSERT_EQ(::raise(SIGHUP), 0);
  logger.info("after SIGHUP");
  ASSERT_TRUE(logger.flush(milliseconds(2000)));
  ::sigaction(SIGHUP, &previous, nullptr);
  logger_to_reopen = nullptr;
  EXPECT_EQ(read_lines(rotated).size(), 2u);
  expect_just_one_line(file, "after SIGHUP");
}

TEST(RotatingFileSink, FollowsLogrotateCopytruncateAndStillRotatesBySize) {
  TempDir dir;
  const fs::path file = dir.path() / "combined.log";
  constexpr std::uint64_t kMax = 3500;
  auto sink = std::make_shared<RotatingFileSink>(FileSinkOptions{
      .path = file.string(), .max_bytes = kMax, .reopen_check_interval = milliseconds(0)});
  Logger logger(LoggerOptions{}, {sink});
  const auto log_ten = [&](std::string_view message) {
    for (int i = 0; i < 10; ++i) logger.info(message, {{"seq", i}});
    ASSERT_TRUE(logger.flush(milliseconds(2000)));
  };
  log_ten("before");
  const auto ten_lines = fs::file_size(file);
  ASSERT_LT(2 * ten_lines, kMax);
  ASSERT_GT(3 * ten_lines, kMax);
  fs::resize_file(file, 0);  // what logrotate's copytruncate does after copying
  log_ten("after1");
  auto lines = read_lines(file);
  ASSERT_EQ(lines.size(), 10u);
  EXPECT_EQ(lines[0]["message"], "after1");
  // The file holds ten lines again: twenty more fit only with a rotation, not ten.
  log_ten("after2");
  EXPECT_FALSE(fs::exists(file.string() + ".1"));
  log_ten("after3");
  EXPECT_TRUE(fs::exists(file.string() + ".1"));
  EXPECT_LE(fs::file_size(file.string() + ".1"), kMax);
}

TEST(ConsoleSink, HumanFormatShowsLevelMessageAndFields) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  {
    auto sink = std::make_shared<ConsoleSink>(
        ConsoleSinkOptions{.format = ConsoleFormat::kHuman, .fd = fds[1], .color = false});
    Logger logger(LoggerOptions{.asynchronous = false}, {sink});
    logger.warn("disk almost full", {{"free_mb", 12}});
  }
  ::close(fds[1]);
  char buf[512];
  const ssize_t n = ::read(fds[0], buf, sizeof buf);
  ::close(fds[0]);
  ASSERT_GT(n, 0);
  const std::string out(buf, static_cast<std::size_t>(n));
  EXPECT_NE(out.find("WARN  disk almost full {"), std::string::npos) << out;
  EXPECT_NE(out.find("\"free_mb\":12"), std::string::npos) << out;
  EXPECT_EQ(out[2], ':');  // starts with the time of day
}

TEST(ConsoleSink, AutoChoosesJsonWhenNotATerminalOrInProduction) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  EXPECT_FALSE(ConsoleSink(ConsoleSinkOptions{.fd = fds[1]}).human());
  ::close(fds[0]);
  ::close(fds[1]);
  EXPECT_FALSE(ConsoleSink(ConsoleSinkOptions{.environment = "production"}).human());
}

}  // namespace
}  // namespace lumen::log
