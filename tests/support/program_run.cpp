#include "program_run.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <filesystem>

namespace lumen::testing {
namespace {

void read_all(FILE* file, std::string& out) {
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), file)) > 0) out.append(buf.data(), n);
}

}  // namespace

ProgramRun run_program(const std::string& command_line) {
  // stderr goes to a file: reading two pipes without a second thread could deadlock.
  static std::atomic<int> serial{0};
  const std::filesystem::path err_file =
      std::filesystem::temp_directory_path() /
      ("run_program_" + std::to_string(::getpid()) + "_" + std::to_string(serial++) + ".err");
  const std::string command = command_line + " 2>" + err_file.string() + " </dev/null";
  ProgramRun r;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  read_all(pipe, r.out);
  const int raw = pclose(pipe);
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  if (FILE* err = std::fopen(err_file.c_str(), "r")) {
    read_all(err, r.err);
    std::fclose(err);
  }
  std::filesystem::remove(err_file);
  return r;
}

}  // namespace lumen::testing
