#include "node_tool.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace lumen::testing {
namespace {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A temporary file, removed when it goes out of scope.
class TempFile {
 public:
  explicit TempFile(const std::string& stem) {
    std::string pattern = "/tmp/" + stem + "-XXXXXX";
    const int fd = ::mkstemp(pattern.data());
    if (fd < 0) throw std::runtime_error(stem + ": cannot create a temporary file");
    ::close(fd);
    path_ = pattern;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

nlohmann::json run_node_decoder(const std::string& script, const std::vector<std::string>& args,
                                const std::string& payload) {
  TempFile input("lumen-decoder-input");
  TempFile errors("lumen-decoder-stderr");
  {
    std::ofstream out(input.path(), std::ios::binary);
    out.write(payload.data(), static_cast<std::streamsize>(payload.size()));
    if (!out) throw std::runtime_error(script + ": cannot write " + input.path());
  }
  std::string command = "node " + shell_quote(std::string(LUMEN_TEST_TOOLS_DIR) + "/" + script);
  for (const auto& a : args) command += " " + shell_quote(a);
  command += " " + shell_quote(input.path()) + " 2>" + shell_quote(errors.path());

  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error(script + ": cannot run: " + command);
  std::string output;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  const int status = ::pclose(pipe);
  if (status != 0) {
    std::string reason = read_file(errors.path());
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (code == 127) reason += "(is Node.js installed and on PATH? the decoders need it)";
    if (reason.find("Cannot find module") != std::string::npos) {
      reason += "\n(run `npm ci --prefix tests/tools` to install the decoders' npm packages)";
    }
    throw std::runtime_error("the independent decoder failed: `" + command + "` exited with " +
                             std::to_string(code) + ": " + reason);
  }
  try {
    return nlohmann::json::parse(output);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(script + " printed invalid JSON: " + e.what() + "\n" +
                             output.substr(0, 500));
  }
}

}  // namespace lumen::testing
