// Fork safety of the logger: a child forked while the parent's logger has records pending (queued,
// or being written by a sink that is slow) logs through a writer of its own to the same sinks (the
// same file, as the default sinks' files are shared), and writes none of the parent's records;
// the parent writes its own, all of them once, and carries on.
//
// Children report through their exit status and a file every process appends to, and a deadlocked
// one is killed and fails the test (tests/support/fork_child.hpp). Named ForkSafety so that the
// ThreadSanitizer run, which cannot fork, leaves them out.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "fork_child.hpp"
#include "lumen/log/file_sink.hpp"
#include "lumen/log/logger.hpp"

namespace lumen::log {
namespace {

using namespace std::chrono_literals;

using lumen::testing::ChildResult;
using lumen::testing::run_in_child;
using lumen::testing::SharedFile;

constexpr auto kPatience = 20s;

// How many times each message was written, by the process that wrote it: from JSON lines, each
// prefixed with the writer's pid ("<pid> <json>") or not (then all under pid 0).
std::map<long, std::map<std::string, int>> messages_by_pid(const std::string& text,
                                                           bool pid_prefixed) {
  std::map<long, std::map<std::string, int>> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    long pid = 0;
    if (pid_prefixed) {
      const std::size_t space = line.find(' ');
      pid = std::stol(line.substr(0, space));
      line = line.substr(space + 1);
    }
    ++out[pid][nlohmann::json::parse(line).at("message").get<std::string>()];
  }
  return out;
}

std::map<std::string, int> once_each(const std::vector<std::string>& messages) {
  std::map<std::string, int> out;
  for (const auto& m : messages) out[m] = 1;
  return out;
}

// Writes "<pid> <json>" lines with one write() each (no lock a fork could leave held). While the
// gate is closed, a write in the process that closed it waits for it to open: the parent's writer
// is then busy in a sink, and what is logged meanwhile stays queued.
class GatedSink final : public Sink {
 public:
  explicit GatedSink(int fd) : fd_(fd) {}

  bool write(const FormattedRecord& record) override {
    {
      std::unique_lock lock(mutex_);
      if (!open_ && ::getpid() == closer_) {
        ++waiting_;
        changed_.notify_all();
        changed_.wait_for(lock, 60s, [&] { return open_; });  // the cap only stops a broken test
        --waiting_;
      }
    }
    const std::string line = std::to_string(::getpid()) + ' ' + std::string(record.json) + '\n';
    return ::write(fd_, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  }

  void close_gate() {
    std::lock_guard lock(mutex_);
    open_ = false;
    closer_ = ::getpid();
  }
  void open_gate() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  bool wait_until_a_write_waits() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kPatience, [&] { return waiting_ > 0; });
  }

 private:
  const int fd_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = true;
  pid_t closer_ = 0;
  int waiting_ = 0;
};

LoggerOptions options_for_fork_tests() {
  return LoggerOptions{.service = "fork-test", .shutdown_timeout = std::chrono::milliseconds(5000)};
}

TEST(ForkSafety, LoggerChildWritesItsOwnRecordsAndNoneTheParentHadPending) {
  SharedFile file;
  ASSERT_GE(file.fd(), 0);
  auto sink = std::make_shared<GatedSink>(file.fd());
  Logger logger(options_for_fork_tests(), {sink});
  logger.info("parent.warm");
  ASSERT_TRUE(logger.flush(kPatience));

  // The writer is held in the sink by "parent.1"; the next three wait in the queue at fork time.
  sink->close_gate();
  logger.info("parent.1");
  ASSERT_TRUE(sink->wait_until_a_write_waits());
  for (const char* m : {"parent.2", "parent.3", "parent.4"}) logger.info(m);

  const ChildResult child = run_in_child([&] {
    for (const char* m : {"child.1", "child.2", "child.3"}) logger.info(m);
    return logger.flush(10s) ? 0 : 2;
  });
  sink->open_gate();
  logger.info("parent.after");
  ASSERT_TRUE(logger.flush(kPatience));
  ASSERT_EQ(child.exit_code, 0);

  const auto written = messages_by_pid(file.read_all(), true);
  EXPECT_EQ(written.at(child.pid), once_each({"child.1", "child.2", "child.3"}));
  EXPECT_EQ(written.at(::getpid()), once_each({"parent.warm", "parent.1", "parent.2", "parent.3",
                                               "parent.4", "parent.after"}));
  EXPECT_EQ(logger.stats().dropped, 0u);
}

TEST(ForkSafety, LoggerForkWaitsForTheWriterSoTheChildInheritsNoHalfWrittenSinkOrQueue) {
  // A file sink buffers lines until the writer flushes it; the child shares the file.
  const std::string dir = SharedFile().path() + ".d";
  auto sink = std::make_shared<RotatingFileSink>(FileSinkOptions{.path = dir + "/combined.log"});
  Logger logger(options_for_fork_tests(), {sink});
  std::vector<std::string> parent;
  for (int i = 0; i < 200; ++i) parent.push_back("parent." + std::to_string(i));
  // The fork comes while most of these wait in the queue or in the sink's buffer.
  for (const auto& m : parent) logger.info(m);
  const ChildResult child = run_in_child([&] {
    logger.info("child.only");
    return logger.flush(10s) ? 0 : 2;
  });
  logger.info("parent.after");
  parent.emplace_back("parent.after");
  ASSERT_TRUE(logger.flush(kPatience));
  ASSERT_EQ(child.exit_code, 0);

  const auto written =
      messages_by_pid(lumen::testing::read_whole_file(dir + "/combined.log"), false);
  std::map<std::string, int> expected = once_each(parent);
  expected["child.only"] = 1;
  EXPECT_EQ(written.at(0), expected);
  std::filesystem::remove_all(dir);
}

TEST(ForkSafety, SynchronousLoggerChildCanLogWhileAParentThreadWasWriting) {
  SharedFile file;
  ASSERT_GE(file.fd(), 0);
  auto sink = std::make_shared<GatedSink>(file.fd());
  LoggerOptions options = options_for_fork_tests();
  options.asynchronous = false;
  Logger logger(options, {sink});
  sink->close_gate();
  // A parent thread holds the logger's lock, in the sink, until after the fork.
  std::thread writer([&] { logger.info("parent.held"); });
  struct OpenAndJoin {
    GatedSink& sink;
    std::thread& thread;
    ~OpenAndJoin() {
      sink.open_gate();
      thread.join();
    }
  } finally{*sink, writer};
  ASSERT_TRUE(sink->wait_until_a_write_waits());
  const ChildResult child = run_in_child([&] {
    logger.info("child.1");
    return 0;
  });
  sink->open_gate();
  logger.info("parent.after");
  ASSERT_EQ(child.exit_code, 0);
  const auto written = messages_by_pid(file.read_all(), true);
  EXPECT_EQ(written.at(child.pid), once_each({"child.1"}));
  EXPECT_EQ(written.at(::getpid()), once_each({"parent.held", "parent.after"}));
}

}  // namespace
}  // namespace lumen::log
