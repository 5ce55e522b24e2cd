#include "log/member_keys.hpp"

#include <cstring>

#include "log/json_writer.hpp"
#include "log/redactor.hpp"

namespace lumen::log::detail {

char* MemberKeys::write_new(char* p, std::size_t place, std::string_view key,
                            const Redactor& redactor, bool& redacted) noexcept {
  redacted = redactor.matches(key);
  char* const end = write_member_key(p, key, 1);
  const auto text_size = static_cast<std::size_t>(end - p);
  if (place < kPlaces && key.size() - 1 < 16 && text_size <= kTextBlock) {
    Entry& e = entries_[place];
    std::memcpy(e.key, key.data(), key.size());
    e.size = static_cast<std::uint8_t>(key.size());
    e.text_size = static_cast<std::uint8_t>(text_size);
    e.redacted = redacted;
    std::memcpy(e.text, p, text_size);
  }
  return end;
}

}  // namespace lumen::log::detail
