#include "log/json_writer.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "lumen/log/logger.hpp"

namespace lumen::log {
namespace {

using nlohmann::json;

std::string as_json(std::string_view s) {
  std::string out;
  detail::append_json_string(out, s);
  return out;
}

TEST(JsonString, EscapesQuotesBackslashesAndControlCharacters) {
  const std::string input = std::string("a\"b\\c\nd\re\tf\x01g") + std::string(1, '\0') + "h";
  const std::string out = as_json(input);
  EXPECT_EQ(out.find('\n'), std::string::npos);
  EXPECT_EQ(out.find('\0'), std::string::npos);
  EXPECT_EQ(json::parse(out).get<std::string>(), input);
  EXPECT_NE(out.find("\\u0000"), std::string::npos);
  EXPECT_NE(out.find("\\u0001"), std::string::npos);
}

TEST(JsonString, KeepsValidUtf8) {
  const std::string input = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80";
  EXPECT_EQ(json::parse(as_json(input)).get<std::string>(), input);
}

TEST(JsonString, ReplacesInvalidUtf8WithReplacementCharacter) {
  const std::string fffd = "\xEF\xBF\xBD";
  const struct {
    std::string in, out;
  } cases[] = {
      {"a\xFFz", "a" + fffd + "z"},
      {"\xC3", fffd},                                  // truncated at the end
      {"\xC0\xAF", fffd + fffd},                       // overlong
      {"\xED\xA0\x80", fffd + fffd + fffd},            // surrogate
      {"\xF4\x90\x80\x80", fffd + fffd + fffd + fffd}, // above U+10FFFF
      {"\xE2\x82", fffd + fffd},                       // truncated 3-byte
  };
  for (const auto& c : cases) {
    const std::string out = as_json(c.in);
    EXPECT_EQ(json::parse(out).get<std::string>(), c.out) << out;
  }
}

class CaptureSink : public Sink {
 public:
  bool write(const FormattedRecord& r) override {
    lines.emplace_back(r.json);
    return true;
  }
  std::vector<std::string> lines;
};

TEST(Logger, EveryLineIsValidJsonWhateverTheInput) {
  auto sink = std::make_shared<CaptureSink>();
  Logger logger(LoggerOptions{.asynchronous = false}, {sink});
  const std::string nul("x\0y", 3);
  const std::string huge(1 << 20, 'q');
  const std::string hostile_key = "k\"e\ny\xFF";
  logger.info("line\nbreak \"quoted\" \xFE", {{"nul", nul},
                                               {hostile_key, "v"},
                                               {"huge", huge},
                                               {"bad", "\xC3\x28"},
                                               {"ctl", "\x1b[31m red"}});
  ASSERT_EQ(sink->lines.size(), 1u);
  const std::string& line = sink->lines[0];
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const json j = json::parse(line);
  EXPECT_EQ(j["message"], "line\nbreak \"quoted\" \xEF\xBF\xBD");
  EXPECT_EQ(j["nul"], nul);
  EXPECT_EQ(j["huge"].get<std::string>().size(), huge.size());
  EXPECT_EQ(j["k\"e\ny\xEF\xBF\xBD"], "v");
  EXPECT_EQ(j["bad"], "\xEF\xBF\xBD(");
  EXPECT_EQ(j["ctl"], "\x1b[31m red");
}

TEST(Iso8601, FormatsUtcWithMilliseconds) {
  std::string out;
  detail::append_iso8601(out, 0);
  EXPECT_EQ(out, "1970-01-01T00:00:00.000Z");
  out.clear();
  detail::append_iso8601(out, 1'709'251'199'999'999'999ULL);  // leap year, last ms of Feb 29
  EXPECT_EQ(out, "2024-02-29T23:59:59.999Z");
}

TEST(LevelNames, ParseIsCaseInsensitiveAndRejectsUnknownNames) {
  EXPECT_EQ(parse_level("DEBUG"), Level::kDebug);
  EXPECT_EQ(parse_level("warning"), Level::kWarn);
  EXPECT_EQ(parse_level("fatal"), Level::kFatal);
  EXPECT_FALSE(parse_level("loud").has_value());
  EXPECT_EQ(level_name(Level::kError), "error");
}

}  // namespace
}  // namespace lumen::log
