// Runs every built program as a user would from a shell, and checks that each behaves like a Unix
// tool: --help on stdout with every option and exit 0, --version, and a mistake named on stderr
// with exit status 2.
#include <gtest/gtest.h>

#include <cctype>
#include <ostream>
#include <string>
#include <vector>

#include "lumen/core/version.hpp"
#include "program_run.hpp"

namespace {

using lumen::testing::ProgramRun;

ProgramRun run(const std::string& program, const std::string& args) {
  return lumen::testing::run_program(program + " " + args);  // args: no spaces inside one
}

struct Program {
  std::string name;     // as --version prints it
  std::string command;  // the binary, and a sub-command if any
  std::vector<std::string> options;
  std::string bad_value;  // arguments with one bad value
  std::string why;        // what stderr must say about it
};

void PrintTo(const Program& p, std::ostream* os) {
  *os << p.command;
}

class ProgramCli : public ::testing::TestWithParam<Program> {};

TEST_P(ProgramCli, HelpListsEveryOptionWithItsDefaultOnStdoutAndExitsZero) {
  for (const char* help : {"--help", "-h"}) {
    const ProgramRun r = run(GetParam().command, help);
    EXPECT_EQ(r.status, 0) << help;
    EXPECT_EQ(r.err, "") << help;
    EXPECT_EQ(r.out.rfind("usage: ", 0), 0u) << r.out;
    for (const std::string& option : GetParam().options) {
      EXPECT_NE(r.out.find(" " + option + " "), std::string::npos) << option << " missing from\n"
                                                                   << r.out;
    }
    EXPECT_NE(r.out.find("(default: "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("--version"), std::string::npos) << r.out;
  }
}

TEST_P(ProgramCli, VersionNamesTheProgramAndLumensVersion) {
  const ProgramRun r = run(GetParam().command, "--version");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out.rfind(GetParam().name + " (lumen " + lumen::kVersion, 0), 0u) << r.out;
}

TEST_P(ProgramCli, BadValueSaysWhichOptionAndWhyOnStderrAndExitsTwo) {
  const ProgramRun r = run(GetParam().command, GetParam().bad_value);
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find(GetParam().why), std::string::npos) << r.err;
}

TEST_P(ProgramCli, UnknownOptionIsNamedOnStderrAndExitsTwo) {
  const ProgramRun r = run(GetParam().command, "--frobnicate");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("unknown option --frobnicate"), std::string::npos) << r.err;
}

TEST_P(ProgramCli, MissingValueIsNamedOnStderrAndExitsTwo) {
  const std::string& last = GetParam().options.back();  // every program's last option takes a value
  const ProgramRun r = run(GetParam().command, last);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(last + " needs a value"), std::string::npos) << r.err;
}

const std::string kImage = LUMEN_IMAGE_CLI;

INSTANTIATE_TEST_SUITE_P(
    Programs, ProgramCli,
    ::testing::Values(Program{"beautifyai",
                              LUMEN_BEAUTIFYAI,
                              {"--no-coalescing", "--no-batching", "--no-images", "--no-tracing",
                               "--port", "--upstream", "--workers", "--queue",
                               "--upstream-connections", "--redis", "--io-threads"},
                              "--port 70000",
                              "--port: must be 0 to 65535, not 70000"},
                      Program{"modelsim",
                              LUMEN_MODELSIM,
                              {"--port", "--seed"},
                              "--seed x",
                              "--seed: 'x' is not a whole number"},
                      Program{"loadgen",
                              LUMEN_LOADGEN,
                              {"--compare", "--require", "--target", "--rate", "--seconds",
                               "--documents", "--zipf", "--images", "--image-share",
                               "--connections", "--seed", "--phase-seconds", "--json"},
                              "--rate abc",
                              "--rate: 'abc' is not a number"},
                      Program{"lumen-image",
                              kImage + " optimize",
                              {"--progressive", "--force", "--json", "-o", "--out", "--format",
                               "--quality", "--max-width", "--max-height", "--thumbnails",
                               "--thumbnail-size", "--jobs", "--vips-threads"},
                              "in --out out --quality 101",
                              "--quality: must be 1 to 100, not 101"},
                      Program{"lumen-image",
                              kImage + " thumbnail",
                              {"--force", "--json", "--out", "--size", "--jobs", "--vips-threads"},
                              "in --out=out --size 0",
                              "--size: must be 1 to 10000, not 0"}),
    [](const ::testing::TestParamInfo<Program>& param) {
      std::string name = param.param.command.substr(param.param.command.find_last_of('/') + 1);
      for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return name;
    });

TEST(LumenImageCli, TopLevelHelpAndMistakes) {
  const ProgramRun help = run(kImage, "--help");
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("lumen-image optimize"), std::string::npos) << help.out;
  const ProgramRun none = run(kImage, "");
  EXPECT_EQ(none.status, 2);
  EXPECT_NE(none.err.find("usage:"), std::string::npos) << none.err;
  const ProgramRun command = run(kImage, "resize");
  EXPECT_EQ(command.status, 2);
  EXPECT_NE(command.err.find("unknown command resize"), std::string::npos) << command.err;
  const ProgramRun option = run(kImage, "--frobnicate");
  EXPECT_EQ(option.status, 2);
  EXPECT_NE(option.err.find("unknown option --frobnicate"), std::string::npos) << option.err;
}

TEST(LoadgenCli, ImagesThatIsNotADirectoryIsABadValue) {
  const ProgramRun r = run(LUMEN_LOADGEN, "--images /nonexistent/images");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--images: '/nonexistent/images' is not a directory"), std::string::npos)
      << r.err;
}

}  // namespace
