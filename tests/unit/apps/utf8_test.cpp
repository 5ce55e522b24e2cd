#include "utf8.hpp"

#include <gtest/gtest.h>

namespace beautifyai {
namespace {

TEST(Utf8, AcceptsEveryWellFormedSequenceLength) {
  EXPECT_TRUE(is_utf8(""));
  EXPECT_TRUE(is_utf8("plain ascii"));
  EXPECT_TRUE(is_utf8("caf\xC3\xA9"));       // é
  EXPECT_TRUE(is_utf8("\xE2\x82\xAC"));      // €
  EXPECT_TRUE(is_utf8("\xF0\x9F\x98\x80"));  // an emoji
  EXPECT_TRUE(is_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF, the last code point
}

TEST(Utf8, RejectsStrayOverlongSurrogateTruncatedAndOutOfRangeBytes) {
  EXPECT_FALSE(is_utf8("\xFF"));
  EXPECT_FALSE(is_utf8("\x80"));              // a continuation byte with no lead
  EXPECT_FALSE(is_utf8("\xC0\x80"));          // overlong NUL
  EXPECT_FALSE(is_utf8("\xE0\x80\xAF"));      // overlong '/'
  EXPECT_FALSE(is_utf8("\xED\xA0\x80"));      // a UTF-16 surrogate
  EXPECT_FALSE(is_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(is_utf8("ok\xE2\x82"));        // truncated at the end
  EXPECT_FALSE(
      is_utf8("\xC3"
              "a"));  // a lead byte followed by ASCII
}

}  // namespace
}  // namespace beautifyai
