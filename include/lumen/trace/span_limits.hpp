// Span limits (OpenTelemetry defaults: 128 of each, no value length limit). What is cut is counted
// in SpanData's dropped_* fields and reaches the backend.
//
//   lumen::trace::SpanLimits limits{.attribute_count = 32, .attribute_value_length = 4096};
#pragma once

#include <cstdint>
#include <limits>

namespace lumen::trace {

struct SpanLimits {
  static constexpr std::uint32_t kUnlimited = std::numeric_limits<std::uint32_t>::max();
  std::uint32_t attribute_count = 128;                // OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT
  std::uint32_t attribute_value_length = kUnlimited;  // OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT
  std::uint32_t event_count = 128;                    // OTEL_SPAN_EVENT_COUNT_LIMIT
  std::uint32_t link_count = 128;                     // OTEL_SPAN_LINK_COUNT_LIMIT
  std::uint32_t attributes_per_event = 128;           // OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT
  std::uint32_t attributes_per_link = 128;            // OTEL_LINK_ATTRIBUTE_COUNT_LIMIT
};

}  // namespace lumen::trace
