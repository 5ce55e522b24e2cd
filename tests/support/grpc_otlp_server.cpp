#include "grpc_otlp_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace lumen::testing {
namespace {

// Debian's interpreter, where python3-grpcio is installed (a python3 earlier on PATH may lack it).
constexpr const char* kPython = "/usr/bin/python3";

std::optional<std::string> read_whole(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::optional<std::string> GrpcRequest::metadata_value(const std::string& key) const {
  for (const auto& [k, v] : metadata) {
    if (k == key) return v;
  }
  return std::nullopt;
}

GrpcOtlpServer::GrpcOtlpServer(nlohmann::json responses, bool identity_only,
                               std::optional<GrpcServerTls> tls)
    : tls_(tls.has_value()) {
  std::string pattern = "/tmp/lumen-grpc-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr)
    throw std::runtime_error("GrpcOtlpServer: mkdtemp failed");
  dir_ = pattern;
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("GrpcOtlpServer: pipe failed");
  const std::string script = std::string(LUMEN_TEST_TOOLS_DIR) + "/grpc_otlp_server.py";
  const std::string script_responses = responses.dump();
  std::vector<const char*> argv{kPython, script.c_str(), dir_.c_str(), script_responses.c_str()};
  if (identity_only) argv.push_back("identity-only");
  const std::string tls_flag =
      tls ? "tls=" + tls->certificate + "," + tls->key + "," + tls->client_ca : std::string();
  if (tls) argv.push_back(tls_flag.c_str());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  const int rc = posix_spawn(&pid_, kPython, &actions, nullptr,
                             const_cast<char* const*>(argv.data()), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (rc != 0) {
    ::close(out[0]);
    pid_ = -1;
    throw std::runtime_error("GrpcOtlpServer: cannot run /usr/bin/python3");
  }
  // The first line is the port; grpcio takes about a second to import on a loaded machine.
  std::string line;
  pollfd p{out[0], POLLIN, 0};
  while (line.find('\n') == std::string::npos && ::poll(&p, 1, 30'000) > 0) {
    char buffer[64];
    const ssize_t n = ::read(out[0], buffer, sizeof buffer);
    if (n <= 0) break;
    line.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  try {
    port_ = static_cast<std::uint16_t>(std::stoi(line));
  } catch (const std::exception&) {
    port_ = 0;
  }
  if (port_ == 0) {
    stop();
    throw std::runtime_error(
        "GrpcOtlpServer: the server did not start (is python3-grpcio installed?)");
  }
}

GrpcOtlpServer::~GrpcOtlpServer() {
  stop();
}

void GrpcOtlpServer::stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  std::error_code ignored;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  dir_.clear();
}

std::vector<GrpcRequest> GrpcOtlpServer::requests() const {
  std::vector<GrpcRequest> out;
  for (int n = 0;; ++n) {
    const std::filesystem::path base = std::filesystem::path(dir_) / std::to_string(n);
    const auto record = read_whole(base.string() + ".json");
    const auto message = read_whole(base.string() + ".bin");
    if (!record || !message) break;
    const auto json = nlohmann::json::parse(*record);
    GrpcRequest r;
    r.method = json.value("method", "");
    for (const auto& kv : json["metadata"]) r.metadata.emplace_back(kv[0], kv[1]);
    if (json["time_remaining"].is_number()) r.time_remaining = json["time_remaining"].get<double>();
    r.arrived = json["arrived"].get<double>();
    r.message = *message;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace lumen::testing
