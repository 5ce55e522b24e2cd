// beautifyai: the reference service. Documents and images in, AI model answers out, with tracing,
// metrics, logs, coalescing, batching, pooling and image optimization on the way.
//
//   build/apps/beautifyai/beautifyai [--port 8080] [--upstream http://127.0.0.1:8700]
//       [--workers 128] [--queue 1000] [--upstream-connections 8] [--io-threads 0]
//       [--no-coalescing] [--no-batching] [--no-images] [--no-tracing]   (--help says more)
//   curl -X POST 127.0.0.1:8080/v1/analyze -d '{"user_id":"u1","tier":"pro","document":"..."}'
//
// The admin endpoint (/metrics, /healthz, /report, /dashboard, and /control/*: stats and switching
// the optimizations, kept off the public port) listens on METRICS_PORT (default 9464); the usual
// OTEL_* variables choose where spans go (by default they stay in memory); REDIS_URL (or --redis
// URL) shares cached results between instances through Redis; IMAGE_MEMORY_BUDGET_MB (or
// --image-memory-mb N) bounds the decoded images in memory; the REPORT_* and ALERT_WEBHOOK_URL
// variables configure the dashboard (docs/REPORT.md).
#include <signal.h>

#include <charconv>
#include <cstdio>
#include <optional>
#include <string>

#include "command_line.hpp"
#include "gateway.hpp"
#include "lumen/beautifyai/report_profile.hpp"
#include "lumen/beautifyai/service.hpp"
#include "lumen/core/environment.hpp"
#include "lumen/core/error.hpp"
#include "lumen/report/dashboard.hpp"

int main(int argc, char** argv) {
  unsigned port = 8080;
  beautifyai::GatewayOptions options;
  apps::CommandLine cli("beautifyai",
                        "The reference service: documents and images in, AI model answers out, "
                        "traced, measured and logged.");
  cli.number("--port", "N", "port of the API (0: any free port)", port, 0u, 65535u);
  cli.text("--upstream", "URL", "base URL of the AI models (modelsim)", options.upstream.base_url);
  cli.number("--workers", "N", "requests in progress at once", options.workers, std::size_t{1},
             std::size_t{100'000});
  cli.number("--queue", "N", "requests waiting for a worker; past it, 503", options.queue_capacity,
             std::size_t{1}, std::size_t{100'000});
  std::size_t io_threads = 0;
  cli.number("--io-threads", "N",
             "threads reading and writing the API's connections (0: one per core)", io_threads,
             std::size_t{0}, std::size_t{1024});
  cli.number("--upstream-connections", "N", "connections to the models, across all models",
             options.upstream.connections, std::size_t{1}, std::size_t{100'000});
  cli.custom("--redis", "URL", "share cached results through this Redis (redis://host:port)",
             "$REDIS_URL, else in-process only", [&](std::string_view url) {
               options.redis_url = std::string(url);
               return std::string();
             });
  std::optional<std::int64_t> image_memory_mb;
  cli.custom("--image-memory-mb", "N",
             "decoded image megabytes in memory at once; past it 503 + Retry-After, above it 413",
             "$IMAGE_MEMORY_BUDGET_MB, else 512", [&](std::string_view text) {
               std::int64_t mb = 0;
               const char* const last = text.data() + text.size();
               const auto [end, error] = std::from_chars(text.data(), last, mb);
               if (error != std::errc() || end != last || mb < 1 || mb > 1'000'000) {
                 return std::string("expected a whole number of megabytes within 1..1000000");
               }
               image_memory_mb = mb;
               return std::string();
             });
  cli.flag("--no-coalescing", "no single-flight and no result cache: every request calls a model",
           [&] { options.optimizations.coalescing = false; });
  cli.flag("--no-batching", "no micro-batching: one model call per document",
           [&] { options.optimizations.batching = false; });
  cli.flag("--no-images", "send images upstream as they came, not re-encoded",
           [&] { options.optimizations.images = false; });
  cli.flag("--no-tracing", "drop every span at its start",
           [&] { options.optimizations.tracing = false; });
  cli.epilog(
      "The admin endpoint (/metrics, /healthz, /report, /dashboard) listens on METRICS_PORT\n"
      "(default 9464) and METRICS_HOST (default 127.0.0.1). It also serves the operator routes\n"
      "GET /control/stats and POST /control/optimizations (switch coalescing, batching, images "
      "and\n"
      "tracing): they are not on the public --port, so keep METRICS_PORT reachable by operators "
      "only.\n"
      "The OTEL_* variables choose where spans go (by default they stay in "
      "memory);\n"
      "the REPORT_* and ALERT_WEBHOOK_URL variables configure the dashboard (docs/REPORT.md).\n"
      "Runs until SIGINT or SIGTERM. Exit status: 0 stopped by a signal, 1 cannot start, 2 usage "
      "error.\n");
  if (const std::optional<int> status = cli.parse(argc, argv)) return *status;
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  try {
    const lumen::Environment env = lumen::Environment::process();
    if (options.redis_url.empty()) options.redis_url = env.get_or("REDIS_URL", "");
    if (!image_memory_mb) image_memory_mb = env.integer("IMAGE_MEMORY_BUDGET_MB", 512, 1);
    if (*image_memory_mb > 1'000'000) {
      throw lumen::Error("IMAGE_MEMORY_BUDGET_MB=" + std::to_string(*image_memory_mb) +
                         ": expected a whole number of megabytes within 1..1000000");
    }
    options.image_memory_budget = static_cast<std::uint64_t>(*image_memory_mb) << 20;
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
                                   .max_request_bytes = std::size_t{32} * 1024 * 1024,
                                   .io_threads = io_threads,
                                   .meter_provider = &runtime.meter_provider()});
    gateway.mount(api);
    gateway.mount_control(*runtime.admin());
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
