// run_program(): runs a command line through the shell, as a user would, and returns its exit
// status, its standard output and its standard error (captured separately), for the tests that run
// the built programs.
//
//   const lumen::testing::ProgramRun r = lumen::testing::run_program(std::string(LUMEN_LOADGEN) + "
//   --help"); EXPECT_EQ(r.status, 0);
#pragma once

#include <string>

namespace lumen::testing {

struct ProgramRun {
  int status = -1;  // the exit status; -1 when it could not run or was killed by a signal
  std::string out;
  std::string err;
};

// `command_line` goes to /bin/sh as written, with stdin from /dev/null.
ProgramRun run_program(const std::string& command_line);

}  // namespace lumen::testing
