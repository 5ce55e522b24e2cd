// lumen's own diagnostics on stderr (configuration warnings, export failures), filtered by the
// SDK's log level: OTEL_LOG_LEVEL, read by lumen::Config::from_env. Process-wide, as the
// variable is; the application's own logs (lumen::log) are not affected.
#pragma once

#include <string_view>

namespace lumen::detail {

enum class SdkLogLevel { kNone = 0, kError = 1, kWarn = 2, kInfo = 3, kDebug = 4 };

// The level in force; kInfo until set.
void set_sdk_log_level(SdkLogLevel level) noexcept;
[[nodiscard]] SdkLogLevel sdk_log_level() noexcept;
// True when a diagnostic of this level is to be written.
[[nodiscard]] bool sdk_logs(SdkLogLevel level) noexcept;

// One warning line for a configuration value that cannot be used, and what is used instead:
// "lumen: NAME='value' is not valid: expected EXPECTED; using USED". Written only when the
// level lets warnings through, and once per variable and value until the next
// start_configuration_read() (a generic variable read for two signals warns once). Never throws.
void start_configuration_read() noexcept;
void warn_invalid_setting(std::string_view name, std::string_view value, std::string_view expected,
                          std::string_view used) noexcept;

}  // namespace lumen::detail
