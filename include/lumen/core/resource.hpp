// Resource: the attributes that describe the process producing telemetry (service, version,
// environment, host, pid, SDK). Immutable once built; every exported span, metric and log carries
// it.
//
//   lumen::Resource r = lumen::Resource::from_environment(lumen::Environment::process());
//   // service.name by the OpenTelemetry rule (default_service_name below), service.version from
//   // APP_VERSION, deployment.environment from NODE_ENV or APP_ENV, plus OTEL_RESOURCE_ATTRIBUTES.
//   lumen::Resource checkout = lumen::Resource::from_environment(env, "checkout");
//   // the same, with "checkout" instead of "unknown_service:<program>" when no variable names one
#pragma once

#include <string>
#include <string_view>

#include "lumen/core/attributes.hpp"

namespace lumen {

// Declared, not included: every span carries a Resource, and environment.hpp would bring <chrono>
// and <map> into each file that includes the tracer. Include "lumen/core/environment.hpp" to call
// from_environment.
class Environment;

class Resource {
 public:
  Resource() = default;
  explicit Resource(Attributes attributes) : attributes_(std::move(attributes)) {}

  // Precedence, lowest first: built-in defaults (service.name: `service_name`, or
  // "unknown_service:<program>" when it is empty), OTEL_RESOURCE_ATTRIBUTES, APP_VERSION and
  // NODE_ENV/APP_ENV, OTEL_SERVICE_NAME. Throws lumen::Error on a malformed
  // OTEL_RESOURCE_ATTRIBUTES.
  static Resource from_environment(const Environment& env, std::string_view service_name = {});

  [[nodiscard]] const Attributes& attributes() const noexcept { return attributes_; }
  // service.name, or "unknown_service" if absent.
  [[nodiscard]] std::string service_name() const;

 private:
  Attributes attributes_;
};

// The OpenTelemetry rule for service.name: OTEL_SERVICE_NAME, else service.name in
// OTEL_RESOURCE_ATTRIBUTES, else `fallback` when given, else "unknown_service:" followed by the
// executable's name. Throws lumen::Error on a malformed OTEL_RESOURCE_ATTRIBUTES.
[[nodiscard]] std::string default_service_name(const Environment& env,
                                               std::string_view fallback = {});

// The running program's file name: the last component of /proc/self/exe, else
// program_invocation_short_name.
[[nodiscard]] std::string executable_name();

}  // namespace lumen
