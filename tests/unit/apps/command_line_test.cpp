#include "command_line.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace apps {
namespace {

using ::testing::internal::CaptureStderr;
using ::testing::internal::CaptureStdout;
using ::testing::internal::GetCapturedStderr;
using ::testing::internal::GetCapturedStdout;

struct Parsed {
  std::optional<int> status;
  std::string out;
  std::string err;
};

Parsed parse(CommandLine& cli, const std::vector<const char*>& args) {
  std::vector<const char*> argv(args.size() + 1, "prog");
  std::copy(args.begin(), args.end(), argv.begin() + 1);
  CaptureStdout();
  CaptureStderr();
  Parsed p;
  p.status = cli.parse(static_cast<int>(argv.size()), argv.data());
  p.out = GetCapturedStdout();
  p.err = GetCapturedStderr();
  return p;
}

// The example at the top of command_line.hpp.
int example_main(int argc, const char* const* argv, unsigned& port, bool& verbose) {
  apps::CommandLine cli("modelsim", "Simulated AI model APIs on 127.0.0.1.");
  cli.number("--port", "N", "port to listen on (0: any free port)", port, 0u, 65535u);
  cli.flag("--verbose", "log every request", verbose);
  if (const std::optional<int> status = cli.parse(argc, argv)) return *status;
  return -1;
}

TEST(CommandLine, HeaderExampleTakesSeparateAndJoinedValues) {
  unsigned port = 8700;
  bool verbose = false;
  const char* separate[] = {"modelsim", "--port", "9000", "--verbose"};
  EXPECT_EQ(example_main(4, separate, port, verbose), -1);
  EXPECT_EQ(port, 9000u);
  EXPECT_TRUE(verbose);
  const char* joined[] = {"modelsim", "--port=0"};
  EXPECT_EQ(example_main(2, joined, port, verbose), -1);
  EXPECT_EQ(port, 0u);
}

TEST(CommandLine, HelpListsOptionsAliasesAndDefaultsOnStdout) {
  std::string out_dir;
  int quality = 85;
  CommandLine cli("prog", "Does things.");
  cli.text("--out", "DIR", "where outputs go", out_dir);
  cli.alias("-o", "--out");
  cli.number("--quality", "N", "encoder quality", quality, 1, 100);
  cli.epilog("Exit status: 0 done.\n");
  const Parsed p = parse(cli, {"-h"});
  EXPECT_EQ(p.status, 0);
  EXPECT_EQ(p.err, "");
  EXPECT_NE(p.out.find("usage: prog [options]\n\nDoes things.\n"), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("-o DIR, --out DIR"), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("encoder quality (default: 85)"), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("\nExit status: 0 done.\n"), std::string::npos) << p.out;
}

TEST(CommandLine, VersionNamesTheProgramAndLumen) {
  CommandLine cli("prog", "");
  cli.version_detail("libfoo 1.2");
  const Parsed p = parse(cli, {"--version"});
  EXPECT_EQ(p.status, 0);
  EXPECT_EQ(p.out.rfind("prog (lumen ", 0), 0u) << p.out;
  EXPECT_NE(p.out.find(", libfoo 1.2)\n"), std::string::npos) << p.out;
}

TEST(CommandLine, MistakesAreNamedOnStderrWithStatusTwo) {
  double rate = 25;
  bool flag = false;
  CommandLine cli("prog", "");
  cli.number("--rate", "N", "per second", rate, 0.0, 1000.0, true);
  cli.flag("--flag", "a flag", flag);
  const auto error_of = [&](std::vector<const char*> args) {
    const Parsed p = parse(cli, args);
    EXPECT_EQ(p.status, 2);
    EXPECT_EQ(p.out, "");
    return p.err;
  };
  EXPECT_EQ(error_of({"--rate", "abc"}).rfind("prog: --rate: 'abc' is not a number\n", 0), 0u);
  EXPECT_NE(error_of({"--rate", "0"}).find("--rate: must be more than 0 and at most 1000, not 0"),
            std::string::npos);
  EXPECT_NE(error_of({"--rate=2000"}).find("must be more than 0 and at most 1000, not 2000"),
            std::string::npos);
  EXPECT_NE(error_of({"--rate", "nan"}).find("is not a finite number"), std::string::npos);
  EXPECT_NE(error_of({"--rate"}).find("--rate needs a value (N)"), std::string::npos);
  EXPECT_NE(error_of({"--flag=yes"}).find("--flag takes no value"), std::string::npos);
  EXPECT_NE(error_of({"--nope"}).find("unknown option --nope"), std::string::npos);
  EXPECT_NE(error_of({"stray"}).find("unexpected argument 'stray'"), std::string::npos);
  EXPECT_EQ(rate, 25);  // nothing refused was kept
}

TEST(CommandLine, AppliesOptionsInOrderAndPassesArgumentsThrough) {
  std::vector<std::string> inputs;
  std::string last;
  CommandLine cli("prog", "", "FILE...");
  cli.custom("--mode", "M", "a mode", "a", [&](std::string_view m) {
    last = std::string(m);
    return std::string();
  });
  cli.arguments("FILE", [&](std::string_view f) { inputs.emplace_back(f); });
  const Parsed p =
      parse(cli, {"x", "--mode", "one", "y", "--mode=two", "--", "--not-an-option", "-"});
  EXPECT_EQ(p.status, std::nullopt);
  EXPECT_EQ(last, "two");
  EXPECT_EQ(inputs, (std::vector<std::string>{"x", "y", "--not-an-option", "-"}));
}

TEST(CommandLine, ParseNumberRefusesFractionsForIntegersAndOverflow) {
  int n = 7;
  EXPECT_EQ(parse_number(std::string_view("2.5"), n, 0), "'2.5' is not a whole number");
  EXPECT_EQ(parse_number(std::string_view("99999999999"), n, 0), "'99999999999' is too large");
  EXPECT_EQ(parse_number(std::string_view("-1"), n, 0), "must be at least 0, not -1");
  EXPECT_EQ(parse_number(std::string_view("12"), n, 0), "");
  EXPECT_EQ(n, 12);
}

}  // namespace
}  // namespace apps
