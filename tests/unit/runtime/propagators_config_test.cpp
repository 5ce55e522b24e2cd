// OTEL_PROPAGATORS: the Runtime's propagator, and the warning for names lumen does not know.
#include "runtime/propagators_config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <string>

#include "config_from.hpp"

namespace lumen {
namespace {

detail::PropagatorsSetting read(const std::map<std::string, std::string>& vars) {
  return detail::read_propagators(Environment(vars));
}

TEST(PropagatorsConfig, UnsetOrEmptyIsTraceContextAndBaggage) {
  EXPECT_EQ(read({}).propagator.names(), "tracecontext,baggage");
  EXPECT_EQ(read({{"OTEL_PROPAGATORS", " "}}).propagator.names(), "tracecontext,baggage");
  EXPECT_EQ(testing::config_from({}).propagator, propagation::Propagator());
}

TEST(PropagatorsConfig, TheNamedFormatsInTheirOrder) {
  const auto setting = read({{"OTEL_PROPAGATORS", "b3multi,jaeger"}});
  EXPECT_EQ(setting.propagator.names(), "b3multi,jaeger");
  EXPECT_EQ(setting.warning, "");
  EXPECT_EQ(testing::config_from({{"OTEL_PROPAGATORS", "b3,tracecontext"}}).propagator.names(),
            "b3,tracecontext");
  EXPECT_EQ(read({{"OTEL_PROPAGATORS", "none"}}).propagator.names(), "none");
}

// The SDK's rule for environment variables: an unknown value is not fatal; warn and go on.
TEST(PropagatorsConfig, AnUnknownNameWarnsNamingTheVariableTheValueAndWhatIsUsed) {
  const auto setting = read({{"OTEL_PROPAGATORS", "b3multi,bogus"}});
  EXPECT_EQ(setting.propagator.names(), "b3multi");
  EXPECT_NE(setting.warning.find("OTEL_PROPAGATORS='b3multi,bogus'"), std::string::npos)
      << setting.warning;
  EXPECT_NE(setting.warning.find("'bogus'"), std::string::npos) << setting.warning;
  EXPECT_NE(setting.warning.find("using b3multi"), std::string::npos) << setting.warning;

  // Nothing known: a typo must not switch propagation off; the setting is ignored as a whole.
  const auto only_bad = read({{"OTEL_PROPAGATORS", "tracecontxt"}});
  EXPECT_EQ(only_bad.propagator.names(), "tracecontext,baggage");
  EXPECT_NE(only_bad.warning.find("using tracecontext,baggage"), std::string::npos)
      << only_bad.warning;
  EXPECT_EQ(testing::config_error({{"OTEL_PROPAGATORS", "bogus"}}), "");  // not fatal

  // "none" beside an unknown name still means none.
  const auto none = read({{"OTEL_PROPAGATORS", "bogus, None"}});
  EXPECT_EQ(none.propagator.names(), "none");
  EXPECT_NE(none.warning.find("using none"), std::string::npos) << none.warning;
}

// A process reads its configuration once or a few times; the warning is written the first time.
// In a new process (the "threadsafe" death test style re-runs the binary), as once is per process.
TEST(PropagatorsConfigDeathTest, TheWarningIsWrittenToStderrOnce) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        (void)testing::config_from({{"OTEL_PROPAGATORS", "first-bogus"}});
        (void)testing::config_from({{"OTEL_PROPAGATORS", "second-bogus"}});
        std::exit(0);
      },
      ::testing::ExitedWithCode(0),
      ::testing::AllOf(::testing::HasSubstr("OTEL_PROPAGATORS='first-bogus'"),
                       ::testing::Not(::testing::HasSubstr("second-bogus"))));
}

}  // namespace
}  // namespace lumen
