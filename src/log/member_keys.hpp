// The text of a line's top-level member keys ("model":), remembered by the log writer. Records
// from one call site repeat the same keys in the same places, and escaping a key, checking it
// against the reserved names and against the redacted ones cost 20 of the 58 ns a 5-field line
// took to format. The text written for the key in each of a line's first kPlaces places is kept;
// when the next line has the same key there (compared in two loads), the text is copied as one
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
      if (key.size() == e.size && key.size() != 0 && e.same_key(key)) {
        std::memcpy(p, e.text, kTextBlock);
        redacted = e.redacted;
        return p + e.text_size;
      }
    }
    return write_new(p, place, key, redactor, redacted);
  }

 private:
  struct Entry {
    // Two loads that tell apart any two keys of one length from 1 to 16 bytes.
    static std::uint64_t head(std::string_view k) noexcept {
      const auto* p = reinterpret_cast<const unsigned char*>(k.data());
      const std::size_t n = k.size();
      if (n >= 8) return lumen::detail::load64(p);
      if (n >= 4) return lumen::detail::load32(p);
      return p[0] | (std::uint64_t{p[n / 2]} << 8) | (std::uint64_t{p[n - 1]} << 16);
    }
    static std::uint64_t tail(std::string_view k) noexcept {
      const auto* p = reinterpret_cast<const unsigned char*>(k.data());
      const std::size_t n = k.size();
      if (n >= 8) return lumen::detail::load64(p + n - 8);
      return n >= 4 ? lumen::detail::load32(p + n - 4) : 0;
    }
    [[nodiscard]] bool same_key(std::string_view k) const noexcept {
      return head(k) == first && tail(k) == last;
    }

    std::uint64_t first = 0;
    std::uint64_t last = 0;
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
