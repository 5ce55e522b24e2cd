#include "log/json_writer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "log/record.hpp"
#include "log/redactor.hpp"
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
      {"\xC3", fffd},                                   // truncated at the end
      {"\xC0\xAF", fffd + fffd},                        // overlong
      {"\xED\xA0\x80", fffd + fffd + fffd},             // surrogate
      {"\xF4\x90\x80\x80", fffd + fffd + fffd + fffd},  // above U+10FFFF
      {"\xE2\x82", fffd + fffd},                        // truncated 3-byte
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

// The escaper reads eight bytes at a time and pads the tail: put each kind of special byte at
// every position of strings around the word size, and read the result back with a JSON parser.
TEST(JsonString, EscapesASpecialByteAtEveryPositionAroundTheWordSize) {
  const std::string specials[] = {
      "\"", "\\", "\n", std::string(1, '\0'), "\x1f", "\xC3\xA9", "\xE2\x82\xAC", " ", "\x7f", "~"};
  for (std::size_t n = 0; n <= 26; ++n) {
    for (std::size_t at = 0; at <= n; ++at) {
      for (const auto& special : specials) {
        std::string input(n, 'x');
        input.insert(at, special);
        const std::string out = as_json(input);
        ASSERT_EQ(out.find('\n'), std::string::npos) << n << " " << at;
        ASSERT_EQ(json::parse(out).get<std::string>(), input) << n << " " << at << " " << out;
      }
    }
  }
  // An invalid byte in the padded tail, and one at the word boundary.
  EXPECT_EQ(json::parse(as_json("abcdefg\xFF")).get<std::string>(), "abcdefg\xEF\xBF\xBD");
  EXPECT_EQ(json::parse(as_json("abcdefgh\xFF")).get<std::string>(), "abcdefgh\xEF\xBF\xBD");
}

// write_short_json_string reads up to 16 bytes as two words and stores them whole: it must write
// what write_json_string writes, for every length around the words and a special byte at every
// position, and never past the room json_string_max() gives.
TEST(JsonString, TheShortPathWritesWhatTheGeneralOneDoesWithinItsRoom) {
  const std::string specials[] = {
      "\"", "\\", "\n", std::string(1, '\0'), "\x1f", "\xC3\xA9", "\xFF", "\x7f", "~", "a"};
  constexpr char kGuard = '#';
  for (std::size_t n = 0; n <= 18; ++n) {
    for (std::size_t at = 0; at <= n; ++at) {
      for (const auto& special : specials) {
        std::string input(n, 'x');
        input.insert(at, special);
        // Exactly the room, in a heap block of its own (ASan sees a byte past it), and a copy
        // with guard bytes after the room.
        const std::size_t room = detail::json_string_max(input.size());
        const auto exact = std::make_unique<char[]>(room);
        const auto exact_input = std::make_unique<char[]>(input.size());
        std::copy(input.begin(), input.end(), exact_input.get());
        char* end = detail::write_short_json_string(
            exact.get(), std::string_view(exact_input.get(), input.size()));
        std::vector<char> guarded(room + 16, kGuard);
        char* general_end = detail::write_json_string(guarded.data(), input);
        ASSERT_EQ(std::string(exact.get(), end), std::string(guarded.data(), general_end))
            << n << " " << at;
        for (std::size_t i = room; i < guarded.size(); ++i) ASSERT_EQ(guarded[i], kGuard) << n;
        std::vector<char> short_guarded(room + 16, kGuard);
        (void)detail::write_short_json_string(short_guarded.data(), input);
        for (std::size_t i = room; i < short_guarded.size(); ++i) {
          ASSERT_EQ(short_guarded[i], kGuard) << n;
        }
      }
    }
  }
}

// The general path reads the last bytes with word loads and stores the padded tail as a whole
// word: with inputs that use the most room (every byte escaped as \u00XX), nothing lands past
// json_string_max(), and nothing is read past the input (a heap block of its own, for ASan).
TEST(JsonString, StaysWithinItsRoomAndItsInputWhenEveryByteIsEscaped) {
  constexpr char kGuard = '#';
  for (std::size_t n = 0; n <= 40; ++n) {
    for (std::size_t clean_prefix = 0; clean_prefix <= n; ++clean_prefix) {
      std::string input(clean_prefix, 'x');
      input.append(n - clean_prefix, '\x01');
      const auto exact_input = std::make_unique<char[]>(n);
      std::copy(input.begin(), input.end(), exact_input.get());
      const std::size_t room = detail::json_string_max(n);
      std::vector<char> out(room + 16, kGuard);
      char* end = detail::write_json_string(out.data(), std::string_view(exact_input.get(), n));
      ASSERT_LE(static_cast<std::size_t>(end - out.data()), room);
      for (std::size_t i = room; i < out.size(); ++i) ASSERT_EQ(out[i], kGuard) << n;
      ASSERT_EQ(json::parse(std::string(out.data(), end)).get<std::string>(), input);
    }
  }
}

TEST(Redactor, MatchesWithoutRegardToCaseWhateverTheFirstByte) {
  detail::Redactor redactor;
  for (const char* key : {"password", "X-Api-Key", "_Secret", "token"}) redactor.add(key);
  for (const char* key : {"password", "Password", "PASSWORD", "x-api-key", "X-API-KEY", "_secret",
                          "_SECRET", "Token"}) {
    EXPECT_TRUE(redactor.matches(key)) << key;
  }
  // Same length and first letter, or same length only, or same first letter only.
  for (const char* key : {"passwork", "tokan", "model", "tokens", "", "x", "_secre"}) {
    EXPECT_FALSE(redactor.matches(key)) << key;
  }
}

TEST(JsonDouble, EveryFormReadsBackAsTheSameDouble) {
  std::vector<double> values = {812.5, 0.1,   0.3,    2.675,         -1.5, 1e-3, 999.999,
                                1e15,  1e300, 5e-324, 123456789.125, -0.0, 0.0,  1.0 / 3.0};
  std::uint64_t x = 0x9E3779B97F4A7C15ULL;
  for (int i = 0; i < 20000; ++i) {
    values.push_back(static_cast<double>(i) / 1000.0);
    values.push_back(static_cast<double>(i) * 0.01);
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    double d;
    std::memcpy(&d, &x, 8);
    if (std::isfinite(d)) values.push_back(d);
    values.push_back(static_cast<double>(x % 100'000'000) / 64.0);
  }
  for (const double d : values) {
    std::string out;
    detail::append_double(out, d);
    const double back = std::strtod(out.c_str(), nullptr);
    ASSERT_EQ(std::memcmp(&back, &d, 8), 0) << out;
    ASSERT_TRUE(json::accept(out)) << out;
  }
  std::string out;
  detail::append_double(out, 812.5);
  EXPECT_EQ(out, "812.5");
  out.clear();
  detail::append_double(out, -0.25);
  EXPECT_EQ(out, "-0.25");
  out.clear();
  detail::append_double(out, std::nan(""));
  EXPECT_EQ(out, "null");
  // The fewest decimals that read back: zeros before a last digit stay, trailing ones go.
  for (const auto& [d, text] :
       std::vector<std::pair<double, std::string>>{{7.0, "7"},
                                                   {1000.0, "1000"},
                                                   {0.001, "0.001"},
                                                   {0.01, "0.01"},
                                                   {1.05, "1.05"},
                                                   {2.675, "2.675"},
                                                   {0.1, "0.1"},
                                                   {1e14, "100000000000000"},
                                                   {12.3456, "12.3456"}}) {
    out.clear();
    detail::append_double(out, d);
    EXPECT_EQ(out, text) << d;
  }
}

// Each power of ten and its neighbours (where the digit count changes), the extremes, and
// pseudo-random values of every width, against std::to_chars.
TEST(JsonDecimal, WritesWhatToCharsWritesForEveryDigitCount) {
  std::vector<std::uint64_t> values = {0, std::numeric_limits<std::uint64_t>::max()};
  std::uint64_t power = 1;
  for (int i = 0; i < 20; ++i) {
    values.insert(values.end(), {power - 1, power, power + 1});
    if (i < 19) power *= 10;
  }
  std::uint64_t x = 0x9E3779B97F4A7C15ULL;
  for (int i = 0; i < 20000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    values.push_back(x >> (i % 64));
  }
  const auto check = [](auto v) {
    char expected[24];
    char got[24];
    const char* expected_end = std::to_chars(expected, expected + sizeof expected, v).ptr;
    const char* got_end = detail::write_decimal(got, v);
    ASSERT_EQ(std::string_view(got, static_cast<std::size_t>(got_end - got)),
              std::string_view(expected, static_cast<std::size_t>(expected_end - expected)));
  };
  for (const std::uint64_t v : values) {
    check(v);
    check(static_cast<std::int64_t>(v));
    check(-static_cast<std::int64_t>(v >> 1));
  }
  check(std::numeric_limits<std::int64_t>::min());
}

// The fields' writer reserves json_fields_max(encoded bytes) once and writes without further
// checks: each kind's worst case, alone and together, must fit with the word stores' 7 bytes of
// overhang, or a kept key's 32-byte copy (the address sanitizer's build also sees any write past
// the room).
TEST(JsonFields, TheRoomReservedOnceCoversEveryKindsWorstCase) {
  const std::vector<Value> nulls(1000, Value(nullptr));
  const std::vector<Value> falses(500, Value(false));
  const std::vector<Value> smallest(100, Value(std::numeric_limits<std::int64_t>::min()));
  const std::vector<Value> longest_doubles(100, Value(-2.2250738585072014e-308));
  const std::string controls(300, '\x01');
  const std::string invalid_utf8(300, '\xFF');
  const std::vector<Value> empty_strings(500, Value(""));
  const Field empty_members[] = {{"", nullptr}, {"", nullptr}, {"", nullptr}};
  const Field redacted_members[] = {{"password", nullptr}, {"", nullptr}};
  // Named, not braced in place: a view's braced list would end with the declaration below.
  const Value empty_containers[] = {Object(nullptr, 0), Array(nullptr, 0)};
  const Field everything[] = {{"nulls", Array(nulls.data(), nulls.size())},
                              {"falses", Array(falses.data(), falses.size())},
                              {controls, controls},
                              {"bad", invalid_utf8},
                              {"ints", Array(smallest.data(), smallest.size())},
                              {"doubles", Array(longest_doubles.data(), longest_doubles.size())},
                              {"empties", Array(empty_strings.data(), empty_strings.size())},
                              {"o", Object(empty_members, 3)},
                              {"", nullptr},
                              {"password", nullptr},
                              {"r", Object(redacted_members, 2)},
                              {"level", Object(nullptr, 0)},
                              {"a", Array(empty_containers, 2)}};
  detail::Redactor redactor;
  redactor.add("password");
  redactor.add("");
  const auto check = [&](const Field* fields, std::size_t count) {
    const std::string encoded = detail::encode({}, fields, count);
    detail::Reader reader(encoded);
    (void)reader.str();  // the empty message
    const std::size_t room = detail::json_fields_max(reader.remaining());
    detail::MemberKeys keys;
    // Twice: the second line copies the keys the first one's text was kept for, in 32-byte blocks.
    for (int round = 0; round < 2; ++round) {
      detail::Reader fields_reader = reader;
      detail::LineBuffer line;
      (void)detail::append_fields(line, fields_reader, redactor, keys, 0);
      EXPECT_LE(line.size() + detail::MemberKeys::kTextBlock - 1, room) << fields[0].key;
      EXPECT_TRUE(json::accept("{" + std::string(line.view().substr(1)) + "}")) << fields[0].key;
    }
  };
  for (const Field& f : everything) check(&f, 1);
  check(everything, std::size(everything));
}

// The encoder never nests deeper than kMaxValueDepth; the writer bounds its own recursion anyway.
TEST(JsonFields, TheWriterCutsAnEncodingNestedBeyondTheDepthLimit) {
  constexpr std::size_t kDepth = 1000;
  std::string encoded(4, '\0');  // the empty message
  encoded.append("\1\0\0\0k", 5);
  for (std::size_t i = 0; i < kDepth; ++i) {
    encoded.push_back(static_cast<char>(Value::Kind::kArray));
    encoded.append("\1\0\0\0", 4);
  }
  encoded.push_back(static_cast<char>(Value::Kind::kNull));
  detail::Reader reader(encoded);
  (void)reader.str();
  detail::LineBuffer line;
  detail::MemberKeys keys;
  (void)detail::append_fields(line, reader, detail::Redactor{}, keys, 0);
  const json j = json::parse("{" + std::string(line.view().substr(1)) + "}");
  const json* v = &j["k"];
  for (std::size_t level = 1; level <= kMaxValueDepth; ++level) v = &(*v)[0];
  EXPECT_EQ(*v, kTooDeepMarker);
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
