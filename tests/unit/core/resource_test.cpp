#include "lumen/core/resource.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <climits>
#include <string>

#include "lumen/core/environment.hpp"
#include "lumen/core/error.hpp"
#include "lumen/core/version.hpp"

namespace lumen {
namespace {

std::string str(const Resource& r, std::string_view key) {
  const AttributeValue* v = r.attributes().find(key);
  if (v == nullptr) return "<absent>";
  const auto* s = std::get_if<std::string>(v);
  return s ? *s : "<not a string>";
}

Environment env_of(const std::map<std::string, std::string>& vars) {
  return Environment(vars);
}

Resource resource_from(const std::map<std::string, std::string>& vars) {
  return Resource::from_environment(Environment(vars));
}

TEST(Resource, WithoutConfigurationTheServiceIsUnknownServiceAndTheExecutable) {
  const Resource r = resource_from({});
  // The test binary is tests/unit_tests.
  EXPECT_EQ(str(r, "service.name"), "unknown_service:unit_tests");
  EXPECT_EQ(r.service_name(), "unknown_service:unit_tests");
  EXPECT_EQ(str(r, "service.version"), "0.1.0");
  EXPECT_EQ(str(r, "deployment.environment"), "development");
}

TEST(Resource, CarriesTelemetrySdkHostAndPid) {
  const Resource r = resource_from({});
  EXPECT_EQ(str(r, "telemetry.sdk.name"), "lumen");
  EXPECT_EQ(str(r, "telemetry.sdk.language"), "cpp");
  EXPECT_EQ(str(r, "telemetry.sdk.version"), kVersion);
  char host[HOST_NAME_MAX + 1] = {};
  ASSERT_EQ(gethostname(host, sizeof host - 1), 0);
  EXPECT_EQ(str(r, "host.name"), host);
  const AttributeValue* pid = r.attributes().find("process.pid");
  ASSERT_NE(pid, nullptr);
  ASSERT_TRUE(std::holds_alternative<std::int64_t>(*pid));
  EXPECT_EQ(std::get<std::int64_t>(*pid), static_cast<std::int64_t>(getpid()));
}

TEST(Resource, ServiceVersionFromAppVersion) {
  EXPECT_EQ(str(resource_from({{"APP_VERSION", "2.3.4"}}), "service.version"), "2.3.4");
}

TEST(Resource, DeploymentEnvironmentPrefersNodeEnvOverAppEnv) {
  EXPECT_EQ(str(resource_from({{"APP_ENV", "staging"}}), "deployment.environment"), "staging");
  EXPECT_EQ(str(resource_from({{"NODE_ENV", "production"}}), "deployment.environment"),
            "production");
  EXPECT_EQ(str(resource_from({{"NODE_ENV", "production"}, {"APP_ENV", "staging"}}),
                "deployment.environment"),
            "production");
  // An empty NODE_ENV is unset, so APP_ENV applies.
  EXPECT_EQ(
      str(resource_from({{"NODE_ENV", ""}, {"APP_ENV", "staging"}}), "deployment.environment"),
      "staging");
}

TEST(Resource, ServiceNameFromOtelServiceName) {
  EXPECT_EQ(resource_from({{"OTEL_SERVICE_NAME", "checkout"}}).service_name(), "checkout");
}

TEST(Resource, ResourceAttributesAreParsedTrimmedAndPercentDecoded) {
  const Resource r =
      resource_from({{"OTEL_RESOURCE_ATTRIBUTES",
                      "team=ai, region = eu%2Cwest ,formula=a%3Db,pct=100%25,,space=a%20b"}});
  EXPECT_EQ(str(r, "team"), "ai");
  EXPECT_EQ(str(r, "region"), "eu,west");
  EXPECT_EQ(str(r, "formula"), "a=b");
  EXPECT_EQ(str(r, "pct"), "100%");
  EXPECT_EQ(str(r, "space"), "a b");
  EXPECT_EQ(str(r, "service.name"), "unknown_service:unit_tests");
}

TEST(Resource, TheProgramsOwnNameReplacesUnknownServiceButNotTheVariables) {
  EXPECT_EQ(Resource::from_environment(env_of({}), "checkout").service_name(), "checkout");
  EXPECT_EQ(Resource::from_environment(env_of({{"OTEL_SERVICE_NAME", "renamed"}}), "checkout")
                .service_name(),
            "renamed");
  EXPECT_EQ(Resource::from_environment(
                env_of({{"OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attributes"}}), "checkout")
                .service_name(),
            "from-attributes");
}

TEST(DefaultServiceName, OtelServiceNameWinsOverResourceAttributes) {
  const Environment env({{"OTEL_SERVICE_NAME", "checkout"},
                         {"OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attributes,team=pay"}});
  EXPECT_EQ(default_service_name(env), "checkout");
  EXPECT_EQ(default_service_name(env, "fallback"), "checkout");
}

TEST(DefaultServiceName, ResourceAttributesNameTheServiceWhenOtelServiceNameIsUnset) {
  const Environment env =
      env_of({{"OTEL_RESOURCE_ATTRIBUTES", "team=pay, service.name = my%2Dservice"}});
  EXPECT_EQ(default_service_name(env), "my-service");
  EXPECT_EQ(default_service_name(env, "fallback"), "my-service");
}

TEST(DefaultServiceName, WithoutEitherVariableIsUnknownServiceAndTheExecutableName) {
  const Environment env = env_of({{"OTEL_RESOURCE_ATTRIBUTES", "team=pay"}});
  EXPECT_EQ(executable_name(), "unit_tests");
  EXPECT_EQ(default_service_name(env), "unknown_service:unit_tests");
  EXPECT_EQ(default_service_name(env_of({})), "unknown_service:unit_tests");
  EXPECT_EQ(default_service_name(env, "checkout"), "checkout");
}

TEST(Resource, ResourceAttributesCanSetTheServiceName) {
  EXPECT_EQ(
      resource_from({{"OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attributes"}}).service_name(),
      "from-attributes");
}

TEST(Resource, OtelServiceNameWinsOverResourceAttributes) {
  const Resource r =
      resource_from({{"OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attributes,team=ai"},
                     {"OTEL_SERVICE_NAME", "from-variable"}});
  EXPECT_EQ(r.service_name(), "from-variable");
  EXPECT_EQ(str(r, "team"), "ai");
}

TEST(Resource, ResourceAttributesWinOverAppVariables) {
  const Resource r =
      resource_from({{"OTEL_RESOURCE_ATTRIBUTES", "service.version=9,deployment.environment=x"},
                     {"APP_VERSION", "1.0.0"},
                     {"APP_ENV", "qa"}});
  EXPECT_EQ(str(r, "service.version"), "9");
  EXPECT_EQ(str(r, "deployment.environment"), "x");
  // Where the standard variable says nothing, the original design's variables still apply.
  const Resource app = resource_from(
      {{"OTEL_RESOURCE_ATTRIBUTES", "team=ai"}, {"APP_VERSION", "1.0.0"}, {"APP_ENV", "qa"}});
  EXPECT_EQ(str(app, "service.version"), "1.0.0");
  EXPECT_EQ(str(app, "deployment.environment"), "qa");
}

TEST(Resource, MalformedResourceAttributesAreDiscardedWithAWarning) {
  for (const std::string bad : {"novalue", "=value", "team=ai,broken", "a=%zz", "a=%2", "a=x%"}) {
    SCOPED_TRACE(bad);
    ::testing::internal::CaptureStderr();
    const Resource r = resource_from({{"OTEL_RESOURCE_ATTRIBUTES", bad}, {"APP_VERSION", "2.0.0"}});
    const std::string warning = ::testing::internal::GetCapturedStderr();
    EXPECT_NE(warning.find("OTEL_RESOURCE_ATTRIBUTES='" + bad + "'"), std::string::npos) << warning;
    EXPECT_EQ(r.attributes().find("team"), nullptr);  // the whole value is discarded
    EXPECT_EQ(r.attributes().find("a"), nullptr);
    EXPECT_EQ(str(r, "service.version"), "2.0.0");
  }
}

TEST(Resource, ServiceNameWithoutTheAttributeIsUnknownService) {
  EXPECT_EQ(Resource().service_name(), "unknown_service");
}

}  // namespace
}  // namespace lumen
