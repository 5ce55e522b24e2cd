// Resource: the attributes that describe the process producing telemetry (service, version,
// environment, host, pid, SDK). Immutable once built; every exported span, metric and log carries it.
//
//   lumen::Resource r = lumen::Resource::from_environment(lumen::Environment::process());
//   // service.name from OTEL_SERVICE_NAME (default "beautifyai"), service.version from APP_VERSION,
//   // deployment.environment from NODE_ENV or APP_ENV, plus OTEL_RESOURCE_ATTRIBUTES.
#pragma once

#include <string>

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

  // Precedence, lowest first: built-in defaults, OTEL_RESOURCE_ATTRIBUTES, APP_VERSION and
  // NODE_ENV/APP_ENV, OTEL_SERVICE_NAME. Throws lumen::Error on a malformed OTEL_RESOURCE_ATTRIBUTES.
  static Resource from_environment(const Environment& env);

  [[nodiscard]] const Attributes& attributes() const noexcept { return attributes_; }
  // service.name, or "unknown_service" if absent.
  [[nodiscard]] std::string service_name() const;

 private:
  Attributes attributes_;
};

}  // namespace lumen
