// beautifyai: the reference service. Documents and images in, AI model answers out, with tracing,
// metrics, logs, coalescing, batching, pooling and image optimization on the way.
//
//   build/apps/beautifyai/beautifyai [--port 8080] [--upstream http://127.0.0.1:8700]
//       [--workers 128] [--queue 1000] [--upstream-connections 8]
//       [--no-coalescing] [--no-batching] [--no-images] [--no-tracing]
//   curl -X POST 127.0.0.1:8080/v1/analyze -d '{"user_id":"u1","tier":"pro","document":"..."}'
//
// The admin endpoint (/metrics, /healthz, /report, /dashboard) listens on METRICS_PORT (default
// 9464); the usual OTEL_* variables choose where spans go (by default they stay in memory);
// REDIS_URL (or --redis URL) shares cached results between instances through Redis; the REPORT_*
// and ALERT_WEBHOOK_URL variables configure the dashboard (docs/REPORT.md).
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "gateway.hpp"
#include "lumen/beautifyai/report_profile.hpp"
#include "lumen/beautifyai/service.hpp"
#include "lumen/core/environment.hpp"
#include "lumen/core/error.hpp"
#include "lumen/report/dashboard.hpp"

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: beautifyai [--port N] [--upstream URL] [--workers N] [--queue N]\n"
               "                  [--upstream-connections N] [--no-coalescing] [--no-batching]\n"
               "                  [--no-images] [--no-tracing] [--redis URL]\n");
  return 2;
}

bool read_count(const char* text, std::size_t& out) {
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0' || value == 0 || value > 100'000) return false;
  out = static_cast<std::size_t>(value);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  unsigned long port = 8080;
  beautifyai::GatewayOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--port" && has_value) {
      char* end = nullptr;
      port = std::strtoul(argv[++i], &end, 10);
      if (*end != '\0' || port > 65535) return usage();
    } else if (arg == "--upstream" && has_value) {
      options.upstream.base_url = argv[++i];
    } else if (arg == "--workers" && has_value) {
      if (!read_count(argv[++i], options.workers)) return usage();
    } else if (arg == "--queue" && has_value) {
      if (!read_count(argv[++i], options.queue_capacity)) return usage();
    } else if (arg == "--upstream-connections" && has_value) {
      if (!read_count(argv[++i], options.upstream.connections)) return usage();
    } else if (arg == "--redis" && has_value) {
      options.redis_url = argv[++i];
    } else if (arg == "--no-coalescing") {
      options.optimizations.coalescing = false;
    } else if (arg == "--no-batching") {
      options.optimizations.batching = false;
    } else if (arg == "--no-images") {
      options.optimizations.images = false;
    } else if (arg == "--no-tracing") {
      options.optimizations.tracing = false;
    } else {
      return usage();
    }
  }
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  try {
    const lumen::Environment env = lumen::Environment::process();
    if (options.redis_url.empty()) options.redis_url = env.get_or("REDIS_URL", "");
    lumen::Config config = lumen::Config::from_env(env, lumen::beautifyai::kServiceName);
    auto sampler = std::make_shared<beautifyai::SwitchableSampler>();
    config.trace.custom_sampler = sampler;
    config.admin.enabled = true;
    lumen::Runtime runtime(std::move(config));
    beautifyai::Gateway gateway(runtime, options, sampler);
    lumen::report::DashboardOptions dashboard_options =
        lumen::report::DashboardOptions::from_environment(env, lumen::beautifyai::report_profile());
    dashboard_options.spans = runtime.recent_spans();
    dashboard_options.logger = &runtime.logger();
    lumen::report::Dashboard dashboard(runtime.meter_provider(), dashboard_options);
    dashboard.start();
    lumen::report::serve(*runtime.admin(), dashboard);
    lumen::admin::AdminServer api({.port = static_cast<std::uint16_t>(port),
                                   .max_connections = 4096,
                                   .max_request_bytes = 32 * 1024 * 1024});
    gateway.mount(api);
    api.start();
    std::printf("beautifyai listening on http://127.0.0.1:%u (admin http://127.0.0.1:%u)\n",
                api.port(), runtime.admin() != nullptr ? runtime.admin()->port() : 0);
    std::fflush(stdout);
    int signal = 0;
    sigwait(&stop_signals, &signal);
    gateway.stop();  // answers what is queued; new requests get 503 meanwhile
    api.stop();
    dashboard.stop();
    runtime.shutdown();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "beautifyai: %s\n", e.what());
    return 1;
  }
  return 0;
}
