#include "lumen/beautifyai/ai_request_log.hpp"
#include "lumen/beautifyai/service.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace lumen::beautifyai {
namespace {

using nlohmann::json;

class MemorySink : public log::Sink {
 public:
  bool write(const log::FormattedRecord& r) override {
    std::lock_guard lock(mutex_);
    lines_.push_back(json::parse(r.json));
    return true;
  }
  std::vector<json> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  std::mutex mutex_;
  std::vector<json> lines_;
};

TEST(LogAiRequest, LogsCompletionAtInfoAndFailureAtErrorWithStack) {
  auto sink = std::make_shared<MemorySink>();
  log::Logger logger(
      log::LoggerOptions{.asynchronous = false, .service = std::string(kServiceName)}, {sink});
  log_ai_request(logger, "gemini-2.0-flash", "analyze", {{"image_id", "img-1"}},
                 {.success = true, .duration_ms = 812.5, .tokens = 100});
  log_ai_request(logger, "gemini-2.0-flash", "analyze", {},
                 {.success = false,
                  .error_message = "quota exceeded",
                  .error_stack = "at provider.cpp:10\nat main.cpp:3"});
  const auto lines = sink->lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["service"], "beautifyai");
  EXPECT_EQ(lines[0]["level"], "info");
  EXPECT_EQ(lines[0]["message"], "AI request completed");
  EXPECT_EQ(lines[0]["model"], "gemini-2.0-flash");
  EXPECT_EQ(lines[0]["operation"], "analyze");
  EXPECT_EQ(lines[0]["context"]["image_id"], "img-1");
  EXPECT_DOUBLE_EQ(lines[0]["duration_ms"].get<double>(), 812.5);
  EXPECT_EQ(lines[0]["tokens"], 100);
  EXPECT_EQ(lines[1]["level"], "error");
  EXPECT_EQ(lines[1]["message"], "AI request failed");
  EXPECT_EQ(lines[1]["error"]["message"], "quota exceeded");
  EXPECT_EQ(lines[1]["error"]["stack"], "at provider.cpp:10\nat main.cpp:3");
}

TEST(LogAiRequest, SkipsTheRecordWhenTheLevelIsOff) {
  auto sink = std::make_shared<MemorySink>();
  log::Logger logger(log::LoggerOptions{.level = log::Level::kError, .asynchronous = false},
                     {sink});
  log_ai_request(logger, "gpt-4o-mini", "analyze", {}, {.success = true});
  EXPECT_TRUE(sink->lines().empty());
}

}  // namespace
}  // namespace lumen::beautifyai
