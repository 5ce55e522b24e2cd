#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "lumen/log/logger.hpp"

namespace lumen::log {
namespace {

using nlohmann::json;

class CollectSink : public Sink {
 public:
  bool write(const FormattedRecord& r) override {
    std::lock_guard lock(mutex_);
    lines_.emplace_back(r.json);
    return true;
  }
  std::vector<std::string> take() {
    std::lock_guard lock(mutex_);
    return std::move(lines_);
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

// A small queue forces producers to wait for the writer again and again.
TEST(LoggerStress, BlockPolicyLosesNothingAndKeepsEachThreadsOrder) {
  auto sink = std::make_shared<CollectSink>();
  Logger logger(LoggerOptions{.queue_capacity = 16, .overflow = OverflowPolicy::kBlock}, {sink});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&logger, t] {
      auto child = logger.child({{"thread", t}});
      for (int i = 0; i < kPerThread; ++i) child.info("stress", {{"seq", i}});
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(logger.flush(std::chrono::seconds(10)));
  const auto lines = sink->take();
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(kThreads * kPerThread));
  std::map<int, int> next;
  for (const auto& line : lines) {
    const json j = json::parse(line);
    const int t = j["thread"];
    ASSERT_EQ(j["seq"].get<int>(), next[t]) << "thread " << t;
    ++next[t];
  }
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(next[t], kPerThread);
  EXPECT_EQ(logger.stats().dropped, 0u);
  EXPECT_EQ(logger.stats().written, static_cast<std::uint64_t>(kThreads * kPerThread));
}

TEST(LoggerStress, DropPolicyAccountsForEveryRecord) {
  auto sink = std::make_shared<CollectSink>();
  Logger logger(LoggerOptions{.queue_capacity = 8,
                              .overflow = OverflowPolicy::kDrop,
                              .drop_report_interval = std::chrono::milliseconds(0)},
                {sink});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&logger] {
      for (int i = 0; i < kPerThread; ++i) logger.info("stress", {{"seq", i}});
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(logger.flush(std::chrono::seconds(10)));
  std::uint64_t records = 0, reported = 0;
  for (const auto& line : sink->take()) {
    const json j = json::parse(line);
    if (j["message"] == "stress") {
      ++records;
    } else {
      reported += j["dropped"].get<std::uint64_t>();
    }
  }
  const auto stats = logger.stats();
  EXPECT_EQ(records + stats.dropped, static_cast<std::uint64_t>(kThreads * kPerThread));
  EXPECT_EQ(reported, stats.dropped);
}

// Records live inside the ring's slots, and larger ones in a block the slot keeps and reuses. With
// a small ring, producers of records of every size (inline, just over a slot, far over) cycle
// through the same slots while another thread keeps inserting flush markers: every record must
// arrive whole, once, in its thread's order.
TEST(LoggerStress, RecordsOfMixedSizesSurviveSlotReuseAndConcurrentFlushes) {
  auto sink = std::make_shared<CollectSink>();
  Logger logger(LoggerOptions{.queue_capacity = 8, .overflow = OverflowPolicy::kBlock}, {sink});
  constexpr int kThreads = 3;
  constexpr int kPerThread = 3000;
  const std::size_t sizes[] = {0, 7, 120, 180, 400, 3000};
  std::atomic<bool> done{false};
  std::thread flusher([&] {
    while (!done.load()) EXPECT_TRUE(logger.flush(std::chrono::seconds(10)));
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto child = logger.child({{"thread", t}});
      for (int i = 0; i < kPerThread; ++i) {
        const std::size_t n = sizes[static_cast<std::size_t>(i + t) % std::size(sizes)];
        const std::string text(n, static_cast<char>('a' + (i % 26)));
        child.info("mixed", {{"seq", i}, {"text", text}});
      }
    });
  }
  for (auto& th : threads) th.join();
  done.store(true);
  flusher.join();
  ASSERT_TRUE(logger.flush(std::chrono::seconds(10)));
  const auto lines = sink->take();
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(kThreads * kPerThread));
  std::map<int, int> next;
  for (const auto& line : lines) {
    const json j = json::parse(line);
    const int t = j["thread"];
    const int i = j["seq"];
    ASSERT_EQ(i, next[t]) << "thread " << t;
    const std::size_t n = sizes[static_cast<std::size_t>(i + t) % std::size(sizes)];
    ASSERT_EQ(j["text"], std::string(n, static_cast<char>('a' + (i % 26))));
    ++next[t];
  }
  EXPECT_EQ(logger.stats().dropped, 0u);
}

}  // namespace
}  // namespace lumen::log
