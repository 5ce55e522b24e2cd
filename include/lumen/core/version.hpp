// lumen's version, as reported in telemetry.sdk.version and the exporters' User-Agent.
//
//   std::string ua = std::string("lumen-cpp/") + lumen::kVersion;
#pragma once

namespace lumen {
inline constexpr const char* kVersion = "0.1.0";
}  // namespace lumen
