#include "jaeger_decoder.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
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

// A temporary file removed when it goes out of scope.
class TempFile {
 public:
  explicit TempFile(const std::string& stem) {
    std::string pattern = "/tmp/" + stem + "-XXXXXX";
    const int fd = ::mkstemp(pattern.data());
    if (fd < 0) throw std::runtime_error("decode_jaeger_batch: cannot create a temporary file");
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

nlohmann::json decode_jaeger_batch(const std::string& body) {
  TempFile input("lumen-jaeger-body");
  TempFile errors("lumen-jaeger-stderr");
  {
    std::ofstream out(input.path(), std::ios::binary);
    out.write(body.data(), static_cast<std::streamsize>(body.size()));
    if (!out) throw std::runtime_error("decode_jaeger_batch: cannot write " + input.path());
  }
  const std::string script = std::string(LUMEN_TEST_TOOLS_DIR) + "/decode_jaeger.js";
  const std::string command =
      "node " + shell_quote(script) + " " + shell_quote(input.path()) + " 2>" + shell_quote(errors.path());

  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("decode_jaeger_batch: cannot run: " + command);
  std::string output;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  const int status = ::pclose(pipe);

  if (status != 0) {
    std::string reason = read_file(errors.path());
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (code == 127) {
      reason += "(is Node.js installed and on PATH? the Jaeger decoder needs it)";
    }
    throw std::runtime_error("the independent Jaeger decoder failed (exit " + std::to_string(code) +
                             ", command: " + command + "): " + reason);
  }
  try {
    return nlohmann::json::parse(output);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(std::string("decode_jaeger.js printed invalid JSON: ") + e.what());
  }
}

}  // namespace lumen::testing
