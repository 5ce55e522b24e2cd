#include "core/ascii.hpp"

#include <gtest/gtest.h>

#include <string>

namespace lumen {
namespace {

using namespace std::string_literals;

TEST(Ascii, HexValueReadsBothCasesAndRejectsEverythingElse) {
  EXPECT_EQ(ascii::hex_value('0'), 0);
  EXPECT_EQ(ascii::hex_value('9'), 9);
  EXPECT_EQ(ascii::hex_value('a'), 10);
  EXPECT_EQ(ascii::hex_value('F'), 15);
  EXPECT_EQ(ascii::hex_value('f'), 15);
  for (const char c : "gG/:@`-x \t\xff") EXPECT_EQ(ascii::hex_value(c), -1) << int(c);
}

TEST(Ascii, TrimOwsRemovesOnlySpacesAndTabs) {
  EXPECT_EQ(ascii::trim_ows(" \t a b \t "), "a b");
  EXPECT_EQ(ascii::trim_ows(" \t "), "");
  EXPECT_EQ(ascii::trim_ows(""), "");
  // Other whitespace is not optional whitespace in HTTP: it stays, and makes the value invalid.
  EXPECT_EQ(ascii::trim_ows("\na\r"), "\na\r");
  EXPECT_EQ(ascii::trim_ows("\va\f"), "\va\f");
  EXPECT_EQ(ascii::trim_ows("\xa0x\xa0"), "\xa0x\xa0");
}

TEST(Ascii, TrimSpaceRemovesEveryAsciiWhitespaceAtTheEndsOnly) {
  EXPECT_EQ(ascii::trim_space(" \t5\r\n"), "5");     // a header line's CRLF
  EXPECT_EQ(ascii::trim_space("\v\fa b\t"), "a b");  // inner space kept
  EXPECT_EQ(ascii::trim_space(" \r\n\t"), "");
  EXPECT_EQ(ascii::trim_space("\xa0x\xa0"), "\xa0x\xa0");  // not ASCII: not space
  static_assert(ascii::trim_space("\n x \n") == "x");
}

TEST(Ascii, IequalsIgnoresTheCaseOfAsciiLettersOnly) {
  EXPECT_TRUE(ascii::iequals("Content-Type", "content-TYPE"));
  EXPECT_TRUE(ascii::iequals("", ""));
  EXPECT_FALSE(ascii::iequals("abc", "abcd"));
  EXPECT_FALSE(ascii::iequals("a-b", "a_b"));
  EXPECT_FALSE(ascii::iequals("[", "{"));  // 0x5B and 0x7B differ by 0x20 but are not letters
  EXPECT_FALSE(ascii::iequals("\xc0", "\xe0"));
}

TEST(Ascii, PercentDecodeReadsEscapesInEitherCase) {
  EXPECT_EQ(ascii::percent_decode("a%2Cb%2cc"), "a,b,c");
  EXPECT_EQ(ascii::percent_decode("%e2%82%AC"), "\xe2\x82\xac");
  EXPECT_EQ(ascii::percent_decode("%41"), "A");
  EXPECT_EQ(ascii::percent_decode(""), "");
}

TEST(Ascii, PercentDecodeKeepsZeroBytes) {
  EXPECT_EQ(ascii::percent_decode("a%00b"), "a\0b"s);
  EXPECT_EQ(ascii::percent_decode_strict("%00"), "\0"s);
}

TEST(Ascii, PercentDecodeKeepsAnInvalidEscapeAsLiteralText) {
  EXPECT_EQ(ascii::percent_decode("100%"), "100%");
  EXPECT_EQ(ascii::percent_decode("%4"), "%4");
  EXPECT_EQ(ascii::percent_decode("%zz%41"), "%zzA");
  EXPECT_EQ(ascii::percent_decode("%%41"), "%A");
  EXPECT_EQ(ascii::percent_decode("%4g"), "%4g");
  EXPECT_EQ(ascii::percent_decode("%+1"), "%+1");
}

TEST(Ascii, PercentDecodeDoesNotDecodeTwice) {
  EXPECT_EQ(ascii::percent_decode("%2541"), "%41");
  EXPECT_EQ(ascii::percent_decode_strict("%2541"), "%41");
}

TEST(Ascii, StrictPercentDecodeRejectsAnyInvalidEscape) {
  EXPECT_EQ(ascii::percent_decode_strict("a%20b%2c"), "a b,");
  EXPECT_EQ(ascii::percent_decode_strict("plain"), "plain");
  EXPECT_EQ(ascii::percent_decode_strict("100%"), std::nullopt);
  EXPECT_EQ(ascii::percent_decode_strict("%4"), std::nullopt);
  EXPECT_EQ(ascii::percent_decode_strict("a%zz"), std::nullopt);
  EXPECT_EQ(ascii::percent_decode_strict("%%41"), std::nullopt);
}

bool is_alnum(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

TEST(Ascii, PercentEncodeWritesUpperCaseEscapesForBytesNotKept) {
  std::string out = "k=";
  ascii::percent_encode("a b,\xff\0z"s, is_alnum, out);
  EXPECT_EQ(out, "k=a%20b%2C%FF%00z");
}

TEST(Ascii, PercentEncodeAlwaysEncodesThePercentSignSoDecodingRoundTrips) {
  std::string out;
  ascii::percent_encode(
      "50%", [](char) noexcept { return true; }, out);
  EXPECT_EQ(out, "50%25");
  const std::string value = "%41 \t\0\x80~"s;
  std::string encoded;
  ascii::percent_encode(value, is_alnum, encoded);
  EXPECT_EQ(ascii::percent_decode(encoded), value);
  EXPECT_EQ(ascii::percent_decode_strict(encoded), value);
}

}  // namespace
}  // namespace lumen
