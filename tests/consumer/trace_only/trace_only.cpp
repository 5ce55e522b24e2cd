// A program that uses lumen's tracing alone (lumen::trace): a parent and a child span, exported
// synchronously to an exporter of its own, printed as "<name> <parent-is-set>".
#include <cstdio>
#include <memory>

#include "lumen/trace/span_exporter.hpp"
#include "lumen/trace/tracer_provider.hpp"

namespace {

class PrintExporter : public lumen::trace::SpanExporter {
 public:
  lumen::trace::ExportResult export_spans(lumen::trace::SpanBatch batch,
                                          lumen::Deadline) noexcept override {
    for (const auto& span : batch) {
      std::printf("%s %s\n", span->name.c_str(),
                  span->parent_span_id.is_valid() ? "child" : "root");
    }
    return lumen::trace::ExportResult::kSuccess;
  }
};

}  // namespace

int main() {
  lumen::trace::TracerProvider provider({
      .processor =
          std::make_unique<lumen::trace::SimpleSpanProcessor>(std::make_shared<PrintExporter>()),
  });
  lumen::trace::Tracer& tracer = provider.tracer("consumer");
  tracer.trace("consumer.request", [&](lumen::trace::Span&) {
    tracer.trace("consumer.step", [](lumen::trace::Span& step) { step.set("step.index", 1); });
  });
  return 0;
}
