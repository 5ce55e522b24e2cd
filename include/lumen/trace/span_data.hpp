// SpanData: a finished span as a plain value, handed from the hot path to processors and exporters.
// Immutable once the span has ended; exporters read it and know nothing of the hot path.
//
//   void MyExporter::export_spans(std::span<const std::unique_ptr<lumen::trace::SpanData>> batch) {
//     for (const auto& s : batch) std::cout << s->name << ' ' << s->duration_ns() << '\n';
//   }
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lumen/core/attributes.hpp"
#include "lumen/core/resource.hpp"
#include "lumen/core/span_context.hpp"

namespace lumen::trace {

// Values match the OTLP enum (SPAN_KIND_INTERNAL = 1, ...).
enum class SpanKind : std::uint8_t {
  kInternal = 1,
  kServer = 2,
  kClient = 3,
  kProducer = 4,
  kConsumer = 5
};

// Values match the OTLP enum (STATUS_CODE_UNSET = 0, OK = 1, ERROR = 2).
enum class StatusCode : std::uint8_t { kUnset = 0, kOk = 1, kError = 2 };

const char* to_string(SpanKind kind) noexcept;
const char* to_string(StatusCode code) noexcept;

struct Event {
  std::string name;
  std::uint64_t time_ns = 0;
  Attributes attributes;
  std::uint32_t dropped_attributes = 0;
};

struct Link {
  SpanContext context;
  Attributes attributes;
  std::uint32_t dropped_attributes = 0;
};

// The instrumentation scope (the named tracer) and the resource it reports under.
// A SpanData shares the ownership of its scope (and of the resource), so a span kept by an exporter
// stays whole after the TracerProvider that made it is destroyed.
struct InstrumentationScope {
  std::string name;
  std::string version;
  const Resource* resource = nullptr;
};

struct SpanData {
  SpanContext context;
  SpanId parent_span_id;  // invalid for a root span
  bool parent_is_remote = false;
  std::string name;
  SpanKind kind = SpanKind::kInternal;
  std::uint64_t start_ns = 0;  // wall clock, Unix epoch
  std::uint64_t end_ns = 0;
  Attributes attributes;
  std::uint32_t dropped_attributes = 0;
  std::vector<Event> events;
  std::uint32_t dropped_events = 0;
  std::vector<Link> links;
  std::uint32_t dropped_links = 0;
  StatusCode status = StatusCode::kUnset;
  std::string status_message;
  // Shared with the provider: a pooled SpanData keeps it while it waits to be reused, so that a
  // span start from the same tracer costs no reference count update.
  std::shared_ptr<const InstrumentationScope> scope;

  [[nodiscard]] std::uint64_t duration_ns() const noexcept {
    return end_ns > start_ns ? end_ns - start_ns : 0;
  }
};

}  // namespace lumen::trace
