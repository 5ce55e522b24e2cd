#include "otlp_decoder.hpp"

#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace lumen::testing {
namespace {

std::string shell_quote(std::string_view s) {
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
    if (fd < 0) throw std::runtime_error("decode_otlp: cannot create a temporary file");
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

nlohmann::json decode_otlp(const std::string& payload, std::string_view kind) {
  TempFile input("lumen-otlp-body");
  TempFile errors("lumen-otlp-stderr");
  {
    std::ofstream out(input.path(), std::ios::binary);
    out.write(payload.data(), static_cast<std::streamsize>(payload.size()));
    if (!out) throw std::runtime_error("decode_otlp: cannot write " + input.path());
  }
  const std::string script = std::string(LUMEN_TEST_TOOLS_DIR) + "/decode_otlp.js";
  const std::string command = "node " + shell_quote(script) + " " + shell_quote(kind) + " " +
                              shell_quote(input.path()) + " 2>" + shell_quote(errors.path());
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("decode_otlp: cannot run: " + command);
  std::string output;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  const int status = ::pclose(pipe);
  if (status != 0) {
    std::string reason = read_file(errors.path());
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (code == 127) reason += "(is Node.js installed and on PATH? the OTLP decoder needs it)";
    if (reason.find("Cannot find module") != std::string::npos) {
      reason += "\n(run `npm ci --prefix tests/tools` to install the decoder's npm packages)";
    }
    throw std::runtime_error("decode_otlp: `" + command + "` exited with " + std::to_string(code) +
                             ": " + reason);
  }
  try {
    return nlohmann::json::parse(output);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(std::string("decode_otlp: the decoder printed no JSON: ") + e.what() +
                             "\n" + output.substr(0, 500));
  }
}

std::string gunzip(const std::string& data) {
  z_stream zs{};
  // 16 + MAX_WBITS: expect the gzip wrapper, not raw zlib.
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw std::runtime_error("gunzip: inflateInit2 failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buffer[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buffer);
    zs.avail_out = sizeof buffer;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - zs.avail_out);
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;  // truncated input
  }
  const bool complete = rc == Z_STREAM_END && zs.avail_in == 0;
  inflateEnd(&zs);
  if (!complete) throw std::runtime_error("gunzip: not a complete gzip stream (zlib code " + std::to_string(rc) + ")");
  return out;
}

}  // namespace lumen::testing
