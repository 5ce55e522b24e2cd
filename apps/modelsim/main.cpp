// modelsim: simulated AI model APIs on 127.0.0.1 for the reference service and its load tests.
//
//   build/apps/modelsim/modelsim [--port 8700] [--seed 42]
//   curl -X POST '127.0.0.1:8700/v1/generate?model=gemini-2.0-flash' -d '{"input":"hello"}'
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "lumen/admin/admin_server.hpp"
#include "lumen/core/error.hpp"
#include "model_simulator.hpp"
#include "modelsim_routes.hpp"

int main(int argc, char** argv) {
  unsigned long port = 8700;
  unsigned long long seed = 42;
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (std::strcmp(argv[i], "--port") == 0 && has_value) {
      port = std::strtoul(argv[++i], nullptr, 10);
    } else if (std::strcmp(argv[i], "--seed") == 0 && has_value) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: modelsim [--port N] [--seed N]\n");
      return 2;
    }
  }
  if (port > 65535) {
    std::fprintf(stderr, "modelsim: --port must be 0 to 65535\n");
    return 2;
  }
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  modelsim::ModelSimulator simulator(modelsim::default_models(), seed);
  // Many gateway connections at once, and batch bodies bigger than an admin request.
  lumen::admin::AdminServer server({.port = static_cast<std::uint16_t>(port),
                                    .max_connections = 2048,
                                    .max_request_bytes = 16 * 1024 * 1024});
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
