// Traced: a tracer whose spans are kept in memory, each one as it ends (a simple processor), for
// tests that look at the spans their code made.
#pragma once

#include <memory>

#include "lumen/export/memory_exporter.hpp"
#include "lumen/trace/span_processor.hpp"
#include "lumen/trace/tracer_provider.hpp"

namespace lumen::testing {

struct Traced {
  std::shared_ptr<exporters::InMemorySpanExporter> memory =
      std::make_shared<exporters::InMemorySpanExporter>();
  trace::TracerProvider provider{
      {.processor = std::make_unique<trace::SimpleSpanProcessor>(memory)}};
  trace::Tracer& tracer = provider.tracer("test");
};

}  // namespace lumen::testing
