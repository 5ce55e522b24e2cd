// The reference service as a user runs it: modelsim, the beautifyai gateway and `loadgen --compare`
// as separate processes on 127.0.0.1. The comparison must run every phase, print the success
// criteria and write them as JSON; the gateway must serve its metrics and stop cleanly on SIGTERM.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../unit/image/test_images.hpp"
#include "http_client.hpp"
#include "lumen/image/vips_runtime.hpp"
#include "signal_mask.hpp"
#include "websocket_client.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using json = nlohmann::json;

// A child process with its stdout and stderr in a file; SIGTERM and reaped on destruction.
class Child {
 public:
  Child(std::vector<std::string> args, const std::vector<std::string>& extra_env,
        const fs::path& log) {
    std::vector<std::string> env_storage = extra_env;
    for (char** e = environ; *e != nullptr; ++e) env_storage.emplace_back(*e);
    std::vector<char*> env;
    for (auto& e : env_storage) env.push_back(e.data());
    env.push_back(nullptr);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, log.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&files, STDOUT_FILENO, STDERR_FILENO);
    if (posix_spawn(&pid_, argv[0], &files, nullptr, argv.data(), env.data()) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&files);
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Exit status after SIGTERM (or after it ended by itself); -1 when killed by a signal.
  int terminate() {
    const std::vector<std::string> not_blocking =
        lumen::testing::threads_not_blocking(pid_, SIGTERM);
    EXPECT_TRUE(not_blocking.empty())
        << "threads that would die of SIGTERM: " << ::testing::PrintToString(not_blocking);
    ::kill(pid_, SIGTERM);
    return wait();
  }
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  [[nodiscard]] bool started() const { return pid_ > 0; }
  [[nodiscard]] pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

bool wait_for_http(std::uint16_t port, const std::string& path) {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      if (lumen::testing::http_get(port, path).status == 200) return true;
    } catch (const std::exception&) {
      // not listening yet
    }
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

std::string read_file(const fs::path& path) {
  std::error_code ec;
  std::string text(fs::file_size(path, ec), '\0');
  if (ec) return {};
  std::ifstream(path, std::ios::binary)
      .read(text.data(), static_cast<std::streamsize>(text.size()));
  return text;
}

// CPU time (user + system) a process has used so far, from /proc/<pid>/stat.
double cpu_seconds(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) +
                     "/stat");  // its size reads as 0: no read_file()
  const std::string stat{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
  // The command name (field 2) may hold spaces: count the fields after its closing parenthesis,
  // which start with field 3; utime and stime are fields 14 and 15.
  std::istringstream fields(stat.substr(stat.rfind(')') + 1));
  std::vector<std::string> values{std::istream_iterator<std::string>(fields),
                                  std::istream_iterator<std::string>()};
  if (values.size() < 13) return 1e9;  // gone: fails the comparison below
  return (std::stod(values[11]) + std::stod(values[12])) /
         static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// 300 idle connections under `ulimit -n 256` used to leave the gateway at 100 % of a core,
// answering no one: accept() failed with EMFILE and was retried at once, forever. Now the public
// server keeps its connections below the descriptor limit (503 beyond), and the admin endpoint,
// which runs out of descriptors when they are all taken, answers 503 through a spare descriptor and
// pauses accepting.
TEST(ReferenceService, StaysAnsweringAndIdleWhenConnectionsExhaustItsFileDescriptors) {
  const fs::path dir = fs::temp_directory_path() / ("reference-fd-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::uint16_t gateway_port = lumen::testing::free_loopback_port();
  const std::uint16_t admin_port = lumen::testing::free_loopback_port();
  Child gateway({"/usr/bin/prlimit", "--nofile=256:256", LUMEN_BEAUTIFYAI, "--port",
                 std::to_string(gateway_port), "--upstream", "http://127.0.0.1:1"},
                {"METRICS_PORT=" + std::to_string(admin_port), "LOG_LEVEL=error",
                 "OTEL_TRACES_EXPORTER=memory"},
                dir / "gateway.log");
  ASSERT_TRUE(gateway.started());
  ASSERT_TRUE(wait_for_http(gateway_port, "/healthz")) << read_file(dir / "gateway.log");
  ASSERT_TRUE(wait_for_http(admin_port, "/healthz")) << read_file(dir / "gateway.log");

  {
    std::vector<std::unique_ptr<lumen::testing::RawConnection>> idle;
    for (int i = 0; i < 300; ++i)
      idle.push_back(std::make_unique<lumen::testing::RawConnection>(gateway_port));
    for (int i = 0; i < 80; ++i)
      idle.push_back(std::make_unique<lumen::testing::RawConnection>(admin_port));
    // A spinning accept loop burns about a second of CPU per second; a waiting one almost none.
    const double before = cpu_seconds(gateway.pid());
    std::this_thread::sleep_for(1s);
    const double used = cpu_seconds(gateway.pid()) - before;
    EXPECT_LT(used, 0.3) << "CPU seconds used in one second with every descriptor taken";
    // A new client on either port is still answered (the old loop never got to its connection).
    // Within 5 s: before the idle connections time out (10 s) and free descriptors by themselves.
    for (const std::uint16_t port : {gateway_port, admin_port}) {
      int status = 0;
      EXPECT_NO_THROW(status =
                          lumen::testing::http_request(port, "GET", "/healthz", {}, {}, 5s).status)
          << port;
      EXPECT_TRUE(status == 503 || status == 200) << port << ": " << status;
    }
  }
  // Once the idle clients leave, everyone is served again, and the refusals were counted: over the
  // connection cap or, when the two servers together took every descriptor first, out of them.
  ASSERT_TRUE(wait_for_http(gateway_port, "/healthz"));
  ASSERT_TRUE(wait_for_http(admin_port, "/healthz"));
  const std::string scrape = lumen::testing::http_get(admin_port, "/metrics").body;
  const auto rejections = [&](std::string_view reason, std::uint16_t port) -> long long {
    const std::string series = "lumen_http_server_rejections_total{reason=\"" +
                               std::string(reason) + "\",server_port=\"" + std::to_string(port) +
                               "\"} ";
    const std::size_t at = scrape.find(series);
    return at == std::string::npos ? -1 : std::stoll(scrape.substr(at + series.size()));
  };
  for (const std::uint16_t port : {gateway_port, admin_port}) {
    EXPECT_GT(rejections("connection_limit", port) + rejections("descriptors_exhausted", port), 0)
        << port << ":\n"
        << scrape;
  }
  EXPECT_EQ(gateway.terminate(), 0) << read_file(dir / "gateway.log");
  fs::remove_all(dir);
}

// OTEL_SDK_DISABLED=true and OTEL_* values the SDK specification says to warn about: the gateway
// starts (it exited before), answers, and records no metric; the warnings name each variable.
TEST(ReferenceService, RunsWithTheSdkDisabledAndWarnsAboutUnusableOtelValues) {
  const fs::path dir =
      fs::temp_directory_path() / ("reference-disabled-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::uint16_t modelsim_port = lumen::testing::free_loopback_port();
  const std::uint16_t gateway_port = lumen::testing::free_loopback_port();
  const std::uint16_t admin_port = lumen::testing::free_loopback_port();
  Child modelsim({LUMEN_MODELSIM, "--port", std::to_string(modelsim_port)}, {},
                 dir / "modelsim.log");
  ASSERT_TRUE(modelsim.started());
  ASSERT_TRUE(wait_for_http(modelsim_port, "/v1/models")) << read_file(dir / "modelsim.log");
  Child gateway(
      {LUMEN_BEAUTIFYAI, "--port", std::to_string(gateway_port), "--upstream",
       "http://127.0.0.1:" + std::to_string(modelsim_port)},
      {"METRICS_PORT=" + std::to_string(admin_port), "LOG_LEVEL=error", "OTEL_SDK_DISABLED=true",
       "OTEL_BSP_MAX_QUEUE_SIZE=2", "OTEL_TRACES_SAMPLER=bogus"},
      dir / "gateway.log");
  ASSERT_TRUE(gateway.started());
  ASSERT_TRUE(wait_for_http(gateway_port, "/healthz")) << read_file(dir / "gateway.log");
  const auto reply = lumen::testing::http_request(
      gateway_port, "POST", "/v1/analyze", {{"content-type", "application/json"}},
      R"({"operation":"analyze","user_id":"u-1","document":"hello"})");
  EXPECT_EQ(reply.status, 200) << reply.body;
  const std::string metrics = lumen::testing::http_get(admin_port, "/metrics").body;
  EXPECT_EQ(metrics.find("gateway_requests_total"), std::string::npos) << metrics;
  EXPECT_EQ(lumen::testing::http_get(admin_port, "/dashboard").status, 200);
  EXPECT_EQ(gateway.terminate(), 0);
  const std::string log = read_file(dir / "gateway.log");
  EXPECT_NE(log.find("OTEL_TRACES_SAMPLER='bogus' is not valid"), std::string::npos) << log;
  EXPECT_NE(log.find("OTEL_BSP_MAX_EXPORT_BATCH_SIZE='512' is not valid"), std::string::npos)
      << log;
  EXPECT_EQ(modelsim.terminate(), 0);
  fs::remove_all(dir);
}

TEST(ReferenceService, LoadgenCompareMeasuresEveryCriterionAgainstTheRealProcesses) {
  const fs::path dir =
      fs::temp_directory_path() / ("reference-service-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "images");
  lumen::image::ensure_libvips_started();
  for (int i = 0; i < 3; ++i) {
    const auto bytes =
        lumen::image::testing::png(lumen::image::testing::gradient(1600 + 100 * i, 1200));
    std::ofstream(dir / "images" / ("g" + std::to_string(i) + ".png"), std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
  }
  const std::uint16_t modelsim_port = lumen::testing::free_loopback_port();
  const std::uint16_t gateway_port = lumen::testing::free_loopback_port();
  const std::uint16_t admin_port = lumen::testing::free_loopback_port();

  Child modelsim({LUMEN_MODELSIM, "--port", std::to_string(modelsim_port)}, {},
                 dir / "modelsim.log");
  ASSERT_TRUE(modelsim.started());
  ASSERT_TRUE(wait_for_http(modelsim_port, "/v1/models")) << read_file(dir / "modelsim.log");
  Child gateway({LUMEN_BEAUTIFYAI, "--port", std::to_string(gateway_port), "--upstream",
                 "http://127.0.0.1:" + std::to_string(modelsim_port)},
                {"METRICS_PORT=" + std::to_string(admin_port), "LOG_LEVEL=error",
                 "OTEL_TRACES_EXPORTER=memory"},
                dir / "gateway.log");
  ASSERT_TRUE(gateway.started());
  ASSERT_TRUE(wait_for_http(gateway_port, "/healthz")) << read_file(dir / "gateway.log");

  Child loadgen(
      {LUMEN_LOADGEN, "--target", "http://127.0.0.1:" + std::to_string(gateway_port), "--admin",
       "http://127.0.0.1:" + std::to_string(admin_port), "--compare", "--phase-seconds", "1.5",
       "--rate", "20", "--documents", "40", "--image-share", "0.5", "--images",
       (dir / "images").string(), "--json", (dir / "criteria.json").string()},
      {}, dir / "loadgen.log");
  ASSERT_EQ(loadgen.wait(), 0) << read_file(dir / "loadgen.log");
  const std::string printed = read_file(dir / "loadgen.log");
  EXPECT_NE(printed.find("Success criteria"), std::string::npos) << printed;
  const json criteria = json::parse(read_file(dir / "criteria.json"));
  for (const char* name :
       {"tracing overhead", "duplicate upstream calls removed", "image bytes saved",
        "throughput gain from batching", "overall latency reduction"}) {
    ASSERT_TRUE(criteria.contains(name)) << name << " missing from " << criteria.dump();
    EXPECT_TRUE(criteria[name]["percent"].is_number());
  }
  // What does not depend on the machine's speed: 40 Zipf documents repeat, so coalescing and the
  // cache remove calls; smooth gradients shrink far more than half as WebP.
  EXPECT_GT(criteria["duplicate upstream calls removed"]["percent"].get<double>(), 30.0) << printed;
  EXPECT_GT(criteria["image bytes saved"]["percent"].get<double>(), 50.0) << printed;

  const std::string metrics = lumen::testing::http_get(admin_port, "/metrics").body;
  EXPECT_NE(metrics.find("gateway_requests_total{"), std::string::npos);
  EXPECT_NE(metrics.find("ai_requests_total{"), std::string::npos);

  // A job over the WebSocket, and the stream still open when the service is told to stop.
  lumen::testing::WebSocketClient stream(gateway_port, "/v1/stream");
  stream.send(
      R"({"operation":"analyze","user_id":"u-ws","tier":"free","document":"over the socket"})");
  json last;
  while (auto message = stream.receive(10s)) {
    last = json::parse(*message);
    if (last["type"] == "result") break;
  }
  EXPECT_EQ(last["http_status"], 200) << last.dump();
  EXPECT_NE(lumen::testing::http_get(admin_port, "/metrics").body.find("\nactive_connections 1\n"),
            std::string::npos);
  EXPECT_EQ(gateway.terminate(), 0) << read_file(dir / "gateway.log");
  EXPECT_TRUE(stream.closed_by_server_within(5s));
  EXPECT_EQ(modelsim.terminate(), 0);
  fs::remove_all(dir);
}

}  // namespace
