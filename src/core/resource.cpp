#include "lumen/core/resource.hpp"

#include <unistd.h>

#include <cerrno>
#include <climits>

#include "lumen/core/environment.hpp"
#include "lumen/core/error.hpp"
#include "lumen/core/version.hpp"

namespace lumen {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s, std::string_view whole) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) {
      throw Error("OTEL_RESOURCE_ATTRIBUTES='" + std::string(whole) +
                  "' has a truncated percent escape; write key=value pairs, percent-encoding ',' '=' '%'.");
    }
    const int hi = hex_value(s[i + 1]);
    const int lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) {
      throw Error("OTEL_RESOURCE_ATTRIBUTES='" + std::string(whole) +
                  "' has an invalid percent escape; write key=value pairs, percent-encoding ',' '=' '%'.");
    }
    out += static_cast<char>((hi << 4) | lo);
    i += 2;
  }
  return out;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

void parse_resource_attributes(std::string_view text, Attributes& out) {
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    const std::string_view pair = text.substr(start, comma - start);
    start = comma + 1;
    if (trim(pair).empty()) continue;
    const std::size_t eq = pair.find('=');
    const std::string key = eq == std::string_view::npos ? "" : trim(pair.substr(0, eq));
    if (key.empty()) {
      throw Error("OTEL_RESOURCE_ATTRIBUTES='" + std::string(text) + "': entry '" + std::string(pair) +
                  "' is not key=value; use a comma-separated list such as team=ai,region=eu");
    }
    out.set(key, percent_decode(trim(pair.substr(eq + 1)), text));
  }
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
  a.set("service.name", service_name.empty() ? "unknown_service:" + executable_name()
                                             : std::string(service_name));
  a.set("service.version", std::string("0.1.0"));
  a.set("deployment.environment", std::string("development"));
  a.set("telemetry.sdk.name", std::string("lumen"));
  a.set("telemetry.sdk.language", std::string("cpp"));
  a.set("telemetry.sdk.version", std::string(kVersion));
  a.set("host.name", host_name());
  a.set("process.pid", static_cast<std::int64_t>(getpid()));
  if (auto attrs = env.get("OTEL_RESOURCE_ATTRIBUTES")) parse_resource_attributes(*attrs, a);
  if (auto v = env.get("APP_VERSION")) a.set("service.version", *v);
  if (auto v = env.get("APP_ENV")) a.set("deployment.environment", *v);
  if (auto v = env.get("NODE_ENV")) a.set("deployment.environment", *v);
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
