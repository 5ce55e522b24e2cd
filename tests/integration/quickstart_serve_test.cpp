// `quickstart --serve`, the example a new user runs first: it must serve its workload's metrics on
// METRICS_PORT and exit 0 on SIGTERM after flushing.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "http_client.hpp"
#include "signal_mask.hpp"

extern char** environ;

namespace {

using namespace std::chrono_literals;

TEST(QuickstartServe, ServesTheWorkloadsMetricsAndExitsCleanlyOnSigterm) {
  const std::uint16_t port = lumen::testing::free_loopback_port();
  std::vector<std::string> env_storage{"METRICS_PORT=" + std::to_string(port),
                                       "OTEL_TRACES_EXPORTER=memory"};
  std::vector<char*> env;
  for (auto& e : env_storage) env.push_back(e.data());
  env.push_back(nullptr);
  char path[] = LUMEN_QUICKSTART;
  char serve[] = "--serve";
  char* argv[] = {path, serve, nullptr};
  posix_spawn_file_actions_t quiet;
  posix_spawn_file_actions_init(&quiet);
  posix_spawn_file_actions_addopen(&quiet, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  ASSERT_EQ(posix_spawn(&pid, path, &quiet, nullptr, argv, env.data()), 0);
  posix_spawn_file_actions_destroy(&quiet);

  std::string body;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      body = lumen::testing::http_get(port, "/metrics").body;
      // Each series appears with the workload's first measurement of it, not all at once.
      if (body.find("ai_requests_total{") != std::string::npos &&
          body.find("cache_requests_total{") != std::string::npos &&
          body.find("ai_request_duration_seconds_bucket{") != std::string::npos) {
        break;
      }
    } catch (const std::exception&) {
      // not listening yet
    }
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_NE(body.find("ai_requests_total{"), std::string::npos) << body;
  EXPECT_NE(body.find("cache_requests_total{"), std::string::npos);
  EXPECT_NE(body.find("ai_request_duration_seconds_bucket{"), std::string::npos);
  EXPECT_EQ(lumen::testing::http_get(port, "/healthz").status, 200);
  // Its runtime's threads started before serve() blocked the signals once: a SIGTERM that came
  // while the loop was between two waits killed it (signal 15 in a CI run).
  const std::vector<std::string> not_blocking = lumen::testing::threads_not_blocking(pid, SIGTERM);
  EXPECT_TRUE(not_blocking.empty())
      << "threads that would die of SIGTERM: " << ::testing::PrintToString(not_blocking);

  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  int status = -1;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
