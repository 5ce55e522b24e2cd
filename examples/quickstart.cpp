// Quickstart: the runtime from the environment, the original design's span tree, a flush.
//
//   build/examples/quickstart                                  # embedded store, prints the tree
//   OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 build/examples/quickstart   # to a collector
//   OTEL_TRACES_EXPORTER=console build/examples/quickstart
#include <cstdio>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>

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
                  s->context.span_id().to_hex().c_str(), static_cast<double>(s->duration_ns()) / 1e6,
                  lumen::trace::to_string(s->status));
      self(self, s->context.span_id().to_hex(), depth + 1);
    }
  };
  if (!spans.empty()) std::printf("trace %s\n", spans.front().context.trace_id().to_hex().c_str());
  print(print, lumen::SpanId().to_hex(), 1);
}

}  // namespace

int main() {
  try {
    lumen::Runtime rt = lumen::init();
    lumen::trace::Tracer& tracer = rt.tracer("beautifyai", "0.1.0");
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
