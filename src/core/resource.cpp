#include "lumen/core/resource.hpp"

#include <unistd.h>

#include <cerrno>
#include <climits>
#include <optional>

#include "core/ascii.hpp"
#include "core/sdk_diagnostics.hpp"
#include "lumen/core/environment.hpp"
#include "lumen/core/version.hpp"

namespace lumen {
namespace {

// False (and `out` untouched) when an entry is not key=value or a percent escape is bad: the
// specification discards the whole value then.
bool parse_resource_attributes(std::string_view text, Attributes& out) {
  Attributes parsed = out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    const std::string_view pair = text.substr(start, comma - start);
    start = comma + 1;
    if (ascii::trim_ows(pair).empty()) continue;
    const std::size_t eq = pair.find('=');
    const std::string key =
        eq == std::string_view::npos ? "" : std::string(ascii::trim_ows(pair.substr(0, eq)));
    if (key.empty()) return false;
    std::optional<std::string> value =
        ascii::percent_decode_strict(ascii::trim_ows(pair.substr(eq + 1)));
    if (!value) return false;
    parsed.set(key, std::move(*value));
  }
  out = std::move(parsed);
  return true;
}

std::string host_name() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

}  // namespace

std::string executable_name() {
  char path[PATH_MAX + 1] = {};
  const ssize_t n = readlink("/proc/self/exe", path, PATH_MAX);
  if (n > 0) {
    const std::string_view p(path, static_cast<std::size_t>(n));
    return std::string(p.substr(p.rfind('/') + 1));
  }
  return program_invocation_short_name;
}

std::string default_service_name(const Environment& env, std::string_view fallback) {
  if (auto v = env.get("OTEL_SERVICE_NAME")) return *v;
  if (auto text = env.get("OTEL_RESOURCE_ATTRIBUTES")) {
    Attributes a;
    parse_resource_attributes(*text, a);
    if (const auto* v = a.find("service.name")) {
      if (const auto* s = std::get_if<std::string>(v)) return *s;
    }
  }
  if (!fallback.empty()) return std::string(fallback);
  return "unknown_service:" + executable_name();
}

Resource Resource::from_environment(const Environment& env, std::string_view service_name) {
  Attributes a;
  a.set("service.name",
        service_name.empty() ? "unknown_service:" + executable_name() : std::string(service_name));
  a.set("service.version", std::string("0.1.0"));
  a.set("deployment.environment", std::string("development"));
  a.set("telemetry.sdk.name", std::string("lumen"));
  a.set("telemetry.sdk.language", std::string("cpp"));
  a.set("telemetry.sdk.version", std::string(kVersion));
  a.set("host.name", host_name());
  a.set("process.pid", static_cast<std::int64_t>(getpid()));
  // The original design's variables give defaults; OTEL_RESOURCE_ATTRIBUTES, the standard, wins.
  if (auto v = env.get("APP_VERSION")) a.set("service.version", *v);
  if (auto v = env.get("APP_ENV")) a.set("deployment.environment", *v);
  if (auto v = env.get("NODE_ENV")) a.set("deployment.environment", *v);
  if (auto attrs = env.get("OTEL_RESOURCE_ATTRIBUTES");
      attrs && !parse_resource_attributes(*attrs, a)) {
    detail::warn_invalid_setting("OTEL_RESOURCE_ATTRIBUTES", *attrs,
                                 "a comma-separated list of key=value with percent-encoded values "
                                 "such as team=ai,region=eu",
                                 "none of its attributes");
  }
  if (auto v = env.get("OTEL_SERVICE_NAME")) a.set("service.name", *v);
  return Resource(std::move(a));
}

std::string Resource::service_name() const {
  if (const auto* v = attributes_.find("service.name")) {
    if (const auto* s = std::get_if<std::string>(v)) return *s;
  }
  return "unknown_service";
}

}  // namespace lumen
