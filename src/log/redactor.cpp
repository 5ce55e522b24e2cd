#include "log/redactor.hpp"

namespace lumen::log::detail {

void Redactor::add(std::string_view key) {
  std::string lower;
  for (char c : key) lower.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  length_mask |= std::uint64_t{1} << (lower.size() < 63 ? lower.size() : 63);
  keys.push_back(std::move(lower));
}

bool Redactor::matches(std::string_view key) const noexcept {
  // Most keys differ in length from every redacted one: one test rejects them.
  if ((length_mask & (std::uint64_t{1} << (key.size() < 63 ? key.size() : 63))) == 0) return false;
  for (const auto& k : keys) {
    if (k.size() != key.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < k.size(); ++i) {
      char c = key[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != k[i]) {
        same = false;
        break;
      }
    }
    if (same) return true;
  }
  return false;
}

}  // namespace lumen::log::detail
