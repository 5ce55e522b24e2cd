#include "core/sdk_diagnostics.hpp"

#include <atomic>
#include <mutex>
#include <set>
#include <string>

#include "core/stderr_line.hpp"
#include "lumen/core/internal/mutex.hpp"

namespace lumen::detail {
namespace {

std::atomic<SdkLogLevel> level{SdkLogLevel::kInfo};

// Variables and values warned about since the configuration read began; bounded (past the bound,
// a repeated warning is written again rather than remembered).
constexpr std::size_t kMaxRemembered = 256;
lumen::internal::Mutex warned_mutex;
std::set<std::string>& warned() LUMEN_REQUIRES(warned_mutex) {
  static auto* set = new std::set<std::string>();  // never destroyed: usable from any destructor
  return *set;
}

}  // namespace

void set_sdk_log_level(SdkLogLevel l) noexcept {
  level.store(l, std::memory_order_relaxed);
}

SdkLogLevel sdk_log_level() noexcept {
  return level.load(std::memory_order_relaxed);
}

bool sdk_logs(SdkLogLevel l) noexcept {
  return l != SdkLogLevel::kNone && static_cast<int>(l) <= static_cast<int>(sdk_log_level());
}

void start_configuration_read() noexcept {
  lumen::internal::MutexLock lock(warned_mutex);
  warned().clear();
}

void warn_invalid_setting(std::string_view name, std::string_view value, std::string_view expected,
                          std::string_view used) noexcept {
  if (!sdk_logs(SdkLogLevel::kWarn)) return;
  try {
    {
      lumen::internal::MutexLock lock(warned_mutex);
      std::string key = std::string(name) + '=' + std::string(value);
      if (warned().contains(key)) return;
      if (warned().size() < kMaxRemembered) warned().insert(std::move(key));
    }
    std::string line = "lumen: ";
    line.append(name).append("='").append(value).append("' is not valid: expected ");
    line.append(expected).append("; using ").append(used);
    write_stderr_line(line);
  } catch (...) {
    // No memory for the line: the default is used all the same.
  }
}

}  // namespace lumen::detail
