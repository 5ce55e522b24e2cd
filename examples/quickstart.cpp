// Quickstart: the runtime from the environment, the original design's span tree, a flush.
// With --serve it keeps a small simulated BeautifyAI workload running and serves the admin endpoint
// (/metrics, /healthz) on METRICS_PORT (default 9464) until SIGINT or SIGTERM.
//
//   build/examples/quickstart                                  # embedded store, prints the tree
//   OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 build/examples/quickstart   # to a collector
//   OTEL_TRACES_EXPORTER=console build/examples/quickstart
//   build/examples/quickstart --serve     # then: curl 127.0.0.1:9464/metrics
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>

#include "lumen/beautifyai/metrics.hpp"
#include "lumen/beautifyai/service.hpp"
#include "lumen/core/environment.hpp"
#include "lumen/core/error.hpp"
#include "lumen/runtime.hpp"

namespace {

struct Document {
  std::string id;
  std::string type;
  std::string text;
};

// Stands in for the AI provider: the timeout is what a slow model does to a request.
int analyze_with_model(const Document& doc, const std::string& model) {
  if (model == "gemini-1.5-pro") throw std::runtime_error("upstream timeout after 30s");
  return static_cast<int>(doc.text.size() / 4) + 120;
}

void enhance_document(lumen::trace::Tracer& tracer, const Document& doc) {
  tracer.trace("beautifyai.document.enhance", [&](lumen::trace::Span& request) {
    request.set("user.id", "user-42").set("user.tier", "pro");
    request.set("document.id", doc.id).set("document.type", doc.type);

    const bool cached = tracer.trace("cache.document.get", [&](lumen::trace::Span& span) {
      span.set("cache.hit", false);
      return false;
    });

    const int tokens = tracer.trace("ai.provider.analyze", [&](lumen::trace::Span& span) {
      span.set("ai.model", "gemini-2.0-flash");
      const int used = analyze_with_model(doc, "gemini-2.0-flash");
      span.set("ai.tokens", used);
      return used;
    });

    // A fallback attempt that fails: its span ends in ERROR with the exception recorded.
    try {
      tracer.trace("ai.provider.analyze", [&](lumen::trace::Span& span) {
        span.set("ai.model", "gemini-1.5-pro");
        return analyze_with_model(doc, "gemini-1.5-pro");
      });
    } catch (const std::exception&) {
      request.add_event("fallback.failed", {{"ai.model", "gemini-1.5-pro"}});
    }
    request.set("cache.hit", cached).set("ai.tokens", tokens);
  });
}

void print_tree(const std::vector<lumen::trace::SpanData>& spans) {
  std::map<std::string, std::vector<const lumen::trace::SpanData*>> children;
  for (const auto& s : spans) children[s.parent_span_id.to_hex()].push_back(&s);
  auto print = [&](auto&& self, const std::string& parent, int depth) -> void {
    for (const auto* s : children[parent]) {
      std::printf("%*s%s  span=%s  %.3f ms  %s\n", depth * 2, "", s->name.c_str(),
                  s->context.span_id().to_hex().c_str(),
                  static_cast<double>(s->duration_ns()) / 1e6, lumen::trace::to_string(s->status));
      self(self, s->context.span_id().to_hex(), depth + 1);
    }
  };
  if (!spans.empty()) std::printf("trace %s\n", spans.front().context.trace_id().to_hex().c_str());
  print(print, lumen::SpanId().to_hex(), 1);
}

// The simulated workload of --serve: requests over a few models, some failing, cache lookups and
// queue work, at roughly 50 requests a second.
// `stop_signals` are blocked in every thread; the loop takes them with sigtimedwait.
void serve(lumen::Runtime& rt, const sigset_t& stop_signals) {
  lumen::beautifyai::Metrics ai(rt.meter());
  lumen::trace::Tracer& tracer = rt.tracer({}, "0.1.0");  // named after the service
  std::printf("serving http://%s:%u/metrics and /healthz; Ctrl-C to stop\n",
              rt.config().admin.host.c_str(), static_cast<unsigned>(rt.admin()->port()));
  std::fflush(stdout);

  struct Model {
    const char* name;
    double median_ms;
    double failure_rate;
  };
  const Model models[] = {{"gemini-2.0-flash", 180, 0.02},
                          {"gemini-1.5-pro", 900, 0.08},
                          {"claude-3-haiku", 350, 0.04}};
  const char* cache_types[] = {"document", "enhancement", "similarity"};
  std::mt19937_64 random(42);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::lognormal_distribution<double> spread(0.0, 0.6);

  const timespec tick{0, 20'000'000};  // 20 ms
  for (long n = 0;; ++n) {
    const Model& model = models[n % 3];
    const bool hit = unit(random) < 0.4;
    ai.record_cache_lookup(cache_types[n % 3], hit);
    if (!hit) {
      const double ms = model.median_ms * spread(random);
      const bool ok = unit(random) >= model.failure_rate;
      tracer.trace("ai.provider.analyze", [&](lumen::trace::Span& span) {
        span.set("ai.model", model.name).set("ai.duration_ms", ms).set("ai.success", ok);
      });
      ai.record_ai_request(model.name, ok, ms,
                           ok ? std::optional<std::int64_t>(400 + n % 800) : std::nullopt);
      if (!ok) ai.record_error("upstream", model.name);
    }
    ai.record_queue_processing(5.0 * spread(random));
    ai.record_request_size(2000 + static_cast<std::int64_t>(unit(random) * 200'000));
    ai.set_queue_depth(static_cast<std::int64_t>(n % 7));
    ai.set_active_connections(3 + static_cast<std::int64_t>(n % 4));
    if (sigtimedwait(&stop_signals, nullptr, &tick) > 0) break;
  }
  std::printf("stopping\n");
}

}  // namespace

// NOLINTNEXTLINE(bugprone-exception-escape): an escaping exception ends the program, as intended
int main(int argc, char** argv) {
  const bool serving = argc > 1 && std::strcmp(argv[1], "--serve") == 0;
  try {
    const lumen::Environment env = lumen::Environment::process();
    if (serving) {
      // Blocked before the runtime starts its threads, which inherit the mask: a thread that
      // left them unblocked would take a SIGTERM itself and die of it.
      sigset_t stop_signals;
      sigemptyset(&stop_signals);
      sigaddset(&stop_signals, SIGINT);
      sigaddset(&stop_signals, SIGTERM);
      pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
      lumen::Config config = lumen::Config::from_env(env, lumen::beautifyai::kServiceName);
      config.admin.enabled = true;
      lumen::Runtime rt(std::move(config));
      serve(rt, stop_signals);
      return rt.shutdown(std::chrono::seconds(10)) ? 0 : 1;
    }
    // The service names itself; OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES may still rename it.
    lumen::Runtime rt = lumen::init(lumen::Config::from_env(env, lumen::beautifyai::kServiceName));
    lumen::trace::Tracer& tracer = rt.tracer({}, "0.1.0");
    enhance_document(tracer, {"doc-1001", "invoice", std::string(2000, 'x')});

    if (!rt.flush(std::chrono::seconds(10))) {
      std::cerr << "quickstart: spans were not all exported within 10 s\n";
    }
    const auto stats = rt.span_stats();
    std::printf("service %s: %llu spans queued, %llu exported, %llu dropped, %llu failed\n",
                rt.config().resource.service_name().c_str(),
                static_cast<unsigned long long>(stats.queued),
                static_cast<unsigned long long>(stats.exported),
                static_cast<unsigned long long>(stats.dropped),
                static_cast<unsigned long long>(stats.export_failed));
    if (auto recent = rt.recent_spans()) print_tree(recent->spans());
    return stats.queued == 4 && stats.exported == 4 ? 0 : 1;
  } catch (const lumen::Error& e) {
    std::cerr << "quickstart: " << e.what() << '\n';
    return 2;
  }
}
