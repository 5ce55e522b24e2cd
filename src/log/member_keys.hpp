// The text of a line's top-level member keys ("model":), remembered by the log writer. Records
// from one call site repeat the same keys in the same places, and escaping a key, checking it
// against the reserved names and against the redacted ones cost 20 of the 58 ns a 5-field line
// took to format. The text written for the key in each of a line's first kPlaces places is kept;
// when the next line has the same key there (same_bytes: two loads), the text is copied as one
// block. A key of more than 16 bytes, or whose text is longer than a block, is written the long
// way each time. One writer only.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "lumen/core/internal/short_bytes.hpp"

namespace lumen::log::detail {

struct Redactor;

class MemberKeys {
 public:
  static constexpr std::size_t kTextBlock = 32;
  static constexpr std::size_t kPlaces = 16;

  // Writes the text of a record's own field `key`, the `place`th of its line (write_member_key at
  // level 1), at p, which has room for that text and for kTextBlock (json_fields_max counts both);
  // sets `redacted` if the redactor hides its value. The redactor must be the same on every call.
  char* write(char* p, std::size_t place, std::string_view key, const Redactor& redactor,
              bool& redacted) noexcept {
    if (place < kPlaces) {
      const Entry& e = entries_[place];
      if (e.size != 0 && lumen::detail::same_bytes(key, std::string_view(e.key, e.size))) {
        std::memcpy(p, e.text, kTextBlock);
        redacted = e.redacted;
        return p + e.text_size;
      }
    }
    return write_new(p, place, key, redactor, redacted);
  }

 private:
  struct Entry {
    char key[16] = {};
    std::uint8_t size = 0;  // of the key; 0 for an empty place (an empty key is never kept)
    std::uint8_t text_size = 0;
    bool redacted = false;
    char text[kTextBlock] = {};
  };

  char* write_new(char* p, std::size_t place, std::string_view key, const Redactor& redactor,
                  bool& redacted) noexcept;

  std::array<Entry, kPlaces> entries_;
};

}  // namespace lumen::log::detail
