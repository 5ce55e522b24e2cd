#include "log/member_keys.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "log/json_writer.hpp"
#include "log/redactor.hpp"

namespace lumen::log {
namespace {

// What MemberKeys must write: the key's text made the long way, and whether it is redacted.
struct Written {
  std::string text;
  bool redacted;
  bool operator==(const Written&) const = default;
};

Written by_cache(detail::MemberKeys& keys, std::size_t place, std::string_view key,
                 const detail::Redactor& redactor) {
  char buf[256];
  bool redacted = false;
  const char* end = keys.write(buf, place, key, redactor, redacted);
  return {std::string(buf, static_cast<std::size_t>(end - buf)), redacted};
}

Written the_long_way(std::string_view key, const detail::Redactor& redactor) {
  char buf[256];
  const char* end = detail::write_member_key(buf, key, 1);
  return {std::string(buf, static_cast<std::size_t>(end - buf)), redactor.matches(key)};
}

// A key, then the same key with one byte changed, then the key again, in one place: for every
// length that is kept and every byte, the changed key must not be taken for the kept one.
TEST(MemberKeys, AKeyDifferingInAnyOneByteIsNotTakenForTheKeptOne) {
  const detail::Redactor redactor;
  detail::MemberKeys keys;
  const std::string letters = "abcdefghijklmnopq";
  for (std::size_t n = 1; n <= 17; ++n) {
    const std::string key = letters.substr(0, n);
    for (std::size_t i = 0; i < n; ++i) {
      std::string changed = key;
      changed[i] = 'X';
      for (const std::string& k : {key, changed, key}) {
        ASSERT_EQ(by_cache(keys, 3, k, redactor), the_long_way(k, redactor))
            << "key '" << k << "' after '" << key << "'";
      }
    }
  }
}

TEST(MemberKeys, KeepsWhetherAKeyIsRedactedOrRenamedAndWritesEscapedKeysInFull) {
  detail::Redactor redactor;
  redactor.add("password");
  detail::MemberKeys keys;
  // Each twice in each place, so that the second is written from what the first kept.
  for (const std::string_view key :
       {"password", "Password", "passwore", "level", "message", "a\"b", "tab\there", "\xFF",
        "sixteen_bytes_ok", "seventeen_bytes_x", "model", ""}) {
    for (std::size_t place = 0; place < detail::MemberKeys::kPlaces + 2; ++place) {
      for (int round = 0; round < 2; ++round) {
        ASSERT_EQ(by_cache(keys, place, key, redactor), the_long_way(key, redactor))
            << "key '" << key << "' in place " << place;
      }
    }
  }
  EXPECT_TRUE(by_cache(keys, 0, "PASSWORD", redactor).redacted);
  EXPECT_EQ(by_cache(keys, 0, "level", redactor).text, "\"field.level\":");
}

}  // namespace
}  // namespace lumen::log
