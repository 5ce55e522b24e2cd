#include "lumen/core/environment.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>

#include "lumen/core/error.hpp"

namespace lumen {
namespace {

using namespace std::chrono_literals;

using Variables = std::map<std::string, std::string>;

Environment env_with(const std::string& name, const std::string& value) {
  return Environment(Variables{{name, value}});
}

// Runs `fn`, which must throw lumen::Error, and returns the message.
template <typename F>
std::string error_message(F&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no lumen::Error was thrown";
  return {};
}

void expect_names_variable_and_value(const std::string& message, const std::string& name,
                                     const std::string& value) {
  EXPECT_NE(message.find(name), std::string::npos) << message;
  EXPECT_NE(message.find("'" + value + "'"), std::string::npos) << message;
}

TEST(Environment, GetTreatsEmptyAsUnset) {
  const Environment env(Variables{{"SET", "x"}, {"EMPTY", ""}});
  EXPECT_EQ(env.get("SET"), "x");
  EXPECT_EQ(env.get("EMPTY"), std::nullopt);
  EXPECT_EQ(env.get("MISSING"), std::nullopt);
  EXPECT_EQ(env.get_or("EMPTY", "fallback"), "fallback");
  EXPECT_EQ(env.get_or("SET", "fallback"), "x");
}

TEST(Environment, ProcessEnvironmentIsReadOnEachLookup) {
  const char* name = "LUMEN_ENVIRONMENT_TEST_VARIABLE";
  const Environment env = Environment::process();
  unsetenv(name);
  EXPECT_EQ(env.get(name), std::nullopt);
  setenv(name, "42", 1);
  EXPECT_EQ(env.integer(name, 0), 42);
  setenv(name, "", 1);
  EXPECT_EQ(env.get(name), std::nullopt);
  unsetenv(name);
}

TEST(Environment, IntegerParsesWholeNumbersAndTrimsSpaces) {
  EXPECT_EQ(env_with("N", "512").integer("N", 1), 512);
  EXPECT_EQ(env_with("N", " 7 ").integer("N", 1), 7);
  EXPECT_EQ(env_with("N", "0").integer("N", 1), 0);
  EXPECT_EQ(env_with("N", "-5").integer("N", 1, -10), -5);
}

TEST(Environment, IntegerUnsetOrEmptyGivesTheFallback) {
  EXPECT_EQ(Environment(Variables{}).integer("N", 1000), 1000);
  EXPECT_EQ(env_with("N", "").integer("N", 1000), 1000);
}

TEST(Environment, IntegerInvalidThrowsNamingVariableAndValue) {
  for (const std::string bad :
       {"abc", "4.2", "12abc", "1e3", "99999999999999999999", "- 1", "0x10"}) {
    SCOPED_TRACE(bad);
    const std::string message = error_message([&] {
      (void)env_with("OTEL_BSP_MAX_QUEUE_SIZE", bad).integer("OTEL_BSP_MAX_QUEUE_SIZE", 1);
    });
    expect_names_variable_and_value(message, "OTEL_BSP_MAX_QUEUE_SIZE", bad);
  }
}

TEST(Environment, IntegerBelowMinimumThrows) {
  const std::string message = error_message([] { (void)env_with("N", "0").integer("N", 5, 1); });
  expect_names_variable_and_value(message, "N", "0");
  EXPECT_NE(message.find(">= 1"), std::string::npos) << message;
}

TEST(Environment, DurationParsesMilliseconds) {
  EXPECT_EQ(env_with("D", "250").duration_ms("D", 5000ms), 250ms);
  EXPECT_EQ(env_with("D", "0").duration_ms("D", 5000ms), 0ms);
  EXPECT_EQ(Environment(Variables{}).duration_ms("D", 5000ms), 5000ms);
  EXPECT_EQ(env_with("D", "").duration_ms("D", 5000ms), 5000ms);
}

TEST(Environment, DurationInvalidThrowsNamingVariableAndValue) {
  for (const std::string bad : {"-1", "5s", "1.5", "soon"}) {
    SCOPED_TRACE(bad);
    const std::string message = error_message([&] {
      (void)env_with("OTEL_BSP_SCHEDULE_DELAY", bad).duration_ms("OTEL_BSP_SCHEDULE_DELAY", 1ms);
    });
    expect_names_variable_and_value(message, "OTEL_BSP_SCHEDULE_DELAY", bad);
  }
}

TEST(Environment, NumberParsesWithinRange) {
  EXPECT_DOUBLE_EQ(env_with("R", "0.25").number("R", 1.0, 0.0, 1.0), 0.25);
  EXPECT_DOUBLE_EQ(env_with("R", "1").number("R", 0.5, 0.0, 1.0), 1.0);
  EXPECT_DOUBLE_EQ(env_with("R", "0").number("R", 0.5, 0.0, 1.0), 0.0);
  EXPECT_DOUBLE_EQ(Environment(Variables{}).number("R", 0.5, 0.0, 1.0), 0.5);
}

TEST(Environment, NumberInvalidOrOutOfRangeThrows) {
  for (const std::string bad : {"1.5", "-0.1", "nan", "half", "0.5x"}) {
    SCOPED_TRACE(bad);
    const std::string message = error_message([&] {
      (void)env_with("OTEL_TRACES_SAMPLER_ARG", bad)
          .number("OTEL_TRACES_SAMPLER_ARG", 1.0, 0.0, 1.0);
    });
    expect_names_variable_and_value(message, "OTEL_TRACES_SAMPLER_ARG", bad);
  }
}

TEST(Environment, BooleanIsCaseInsensitive) {
  EXPECT_TRUE(env_with("B", "true").boolean("B", false));
  EXPECT_TRUE(env_with("B", "TRUE").boolean("B", false));
  EXPECT_FALSE(env_with("B", "False").boolean("B", true));
  EXPECT_TRUE(Environment(Variables{}).boolean("B", true));
  EXPECT_FALSE(env_with("B", "").boolean("B", false));
}

TEST(Environment, BooleanInvalidThrowsNamingVariableAndValue) {
  for (const std::string bad : {"yes", "1", "on", "truee"}) {
    SCOPED_TRACE(bad);
    const std::string message = error_message(
        [&] { (void)env_with("OTEL_SDK_DISABLED", bad).boolean("OTEL_SDK_DISABLED", false); });
    expect_names_variable_and_value(message, "OTEL_SDK_DISABLED", bad);
  }
}

TEST(Environment, WarningOnInvalidReturnsTheFallbackAndSaysSo) {
  ::testing::internal::CaptureStderr();
  // Distinct variables: a variable and value is warned about once per configuration read.
  EXPECT_EQ(env_with("X", "lots").warning_on_invalid().integer("X", 7, 1), 7);
  EXPECT_EQ(
      env_with("D", "soon").warning_on_invalid().duration_ms("D", std::chrono::milliseconds(250)),
      std::chrono::milliseconds(250));
  EXPECT_DOUBLE_EQ(env_with("R", "2").warning_on_invalid().number("R", 0.5, 0.0, 1.0), 0.5);
  EXPECT_TRUE(env_with("Y", "yes").warning_on_invalid().boolean("Y", true));
  EXPECT_EQ(env_with("Z", "0").warning_on_invalid().integer("Z", 3, 1), 3);
  EXPECT_EQ(env_with("Z", "12").warning_on_invalid().integer("Z", 3, 1), 12);  // valid: used
  const std::string warnings = ::testing::internal::GetCapturedStderr();
  for (const char* line :
       {"X='lots' is not valid: expected a whole number; using the default 7",
        "D='soon' is not valid: expected a duration in milliseconds, a whole number "
        ">= 0 such as 5000; using the default 250 ms",
        "R='2' is not valid: expected a number between 0 and 1; using the default 0.5",
        "Y='yes' is not valid: expected true or false; using the default true",
        "Z='0' is not valid: expected a whole number >= 1; using the default 3"}) {
    EXPECT_NE(warnings.find(line), std::string::npos) << line << " in:\n" << warnings;
  }
  EXPECT_THROW((void)env_with("X", "lots").integer("X", 7, 1),
               Error);  // the strict one still throws
}

}  // namespace
}  // namespace lumen
