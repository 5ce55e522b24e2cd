#include "lumen/log/level.hpp"

#include <array>
#include <cctype>
#include <string>

namespace lumen::log {
namespace {
constexpr std::array<std::string_view, 7> kNames = {"trace", "debug", "info", "warn",
                                                    "error", "fatal", "off"};
}

std::string_view level_name(Level level) noexcept {
  const auto i = static_cast<std::size_t>(level);
  return i < kNames.size() ? kNames[i] : "info";
}

std::optional<Level> parse_level(std::string_view text) noexcept {
  std::string lower;
  for (char c : text)
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (lower == "warning") return Level::kWarn;
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (lower == kNames[i]) return static_cast<Level>(i);
  }
  return std::nullopt;
}

}  // namespace lumen::log
