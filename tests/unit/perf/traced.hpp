// A tracer whose spans are kept in memory, for the coalescer tests.
#pragma once

#include <memory>

#include "lumen/export/memory_exporter.hpp"
#include "lumen/trace/span_processor.hpp"
#include "lumen/trace/tracer_provider.hpp"

namespace lumen::perf {

struct Traced {
  std::shared_ptr<exporters::InMemorySpanExporter> memory =
      std::make_shared<exporters::InMemorySpanExporter>();
  trace::TracerProvider provider{
      {.processor = std::make_unique<trace::SimpleSpanProcessor>(memory)}};
  trace::Tracer& tracer = provider.tracer("test");
};

}  // namespace lumen::perf
