#include "log/redactor.hpp"

namespace lumen::log::detail {

void Redactor::add(std::string_view key) {
  std::string lower_key;
  for (char c : key) lower_key.push_back(lower(c));
  length_mask |= std::uint64_t{1} << (lower_key.size() < 63 ? lower_key.size() : 63);
  if (!lower_key.empty()) first_byte_mask |= std::uint64_t{1} << (lower_key[0] & 63);
  keys.push_back(std::move(lower_key));
}

bool Redactor::compare_keys(std::string_view key) const noexcept {
  for (const auto& k : keys) {
    if (k.size() != key.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < k.size(); ++i) {
      if (lower(key[i]) != k[i]) {
        same = false;
        break;
      }
    }
    if (same) return true;
  }
  return false;
}

}  // namespace lumen::log::detail
