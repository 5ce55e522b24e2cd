// Log levels, their names, and LOG_LEVEL parsing.
//
//   lumen::log::Level level = lumen::log::parse_level("warn").value();   // Level::kWarn
//   std::string_view name = lumen::log::level_name(level);               // "warn"
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace lumen::log {

enum class Level : std::uint8_t { kTrace, kDebug, kInfo, kWarn, kError, kFatal, kOff };

// "trace", "debug", "info", "warn", "error", "fatal", "off".
[[nodiscard]] std::string_view level_name(Level level) noexcept;
// Case-insensitive; also accepts "warning". nullopt for anything else.
[[nodiscard]] std::optional<Level> parse_level(std::string_view text) noexcept;

}  // namespace lumen::log
