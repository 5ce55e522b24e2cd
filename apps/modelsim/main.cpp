// modelsim: simulated AI model APIs on 127.0.0.1 for the reference service and its load tests.
//
//   build/apps/modelsim/modelsim [--port 8700] [--seed 42]
//   curl -X POST '127.0.0.1:8700/v1/generate?model=gemini-2.0-flash' -d '{"input":"hello"}'
#include <signal.h>

#include <cstdio>
#include <optional>
#include <string>

#include "command_line.hpp"
#include "lumen/admin/admin_server.hpp"
#include "lumen/core/error.hpp"
#include "model_simulator.hpp"
#include "modelsim_routes.hpp"

int main(int argc, char** argv) {
  unsigned port = 8700;
  unsigned long long seed = 42;
  apps::CommandLine cli("modelsim",
                        "Simulated AI model APIs on 127.0.0.1, for the reference service and its "
                        "load tests.");
  cli.number("--port", "N", "port to listen on (0: any free port)", port, 0u, 65535u);
  cli.number("--seed", "N", "seed of the simulated latencies and failures (a seed repeats a run)",
             seed, 0ull);
  cli.epilog(
      "Runs until SIGINT or SIGTERM.\n"
      "Exit status: 0 stopped by a signal, 1 cannot listen, 2 usage error.\n");
  if (const std::optional<int> status = cli.parse(argc, argv)) return *status;
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  modelsim::ModelSimulator simulator(modelsim::default_models(), seed);
  // Many gateway connections at once, and batch bodies bigger than an admin request.
  lumen::admin::AdminServer server({.port = static_cast<std::uint16_t>(port),
                                    .max_connections = 2048,
                                    .max_request_bytes = std::size_t{16} * 1024 * 1024});
  modelsim::add_routes(server, simulator);
  try {
    server.start();
  } catch (const lumen::Error& e) {
    std::fprintf(stderr, "modelsim: %s\n", e.what());
    return 1;
  }
  std::printf("modelsim listening on http://127.0.0.1:%u (seed %llu)\n", server.port(), seed);
  std::fflush(stdout);
  int signal = 0;
  sigwait(&stop_signals, &signal);
  server.stop();
  return 0;
}
