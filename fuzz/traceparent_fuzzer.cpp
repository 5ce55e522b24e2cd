// parse_traceparent on any header value: never crashes, accepts only a valid remote context, and
// what it accepts formats (as version 00) to a header that parses back to the same context.
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "lumen/trace/propagation.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace propagation = lumen::propagation;
  const auto parsed = propagation::parse_traceparent(lumen::fuzz::as_text(data, size));
  if (!parsed) return 0;
  FUZZ_CHECK(parsed->is_valid() && parsed->is_remote());

  const std::string header = propagation::format_traceparent(*parsed);
  FUZZ_CHECK(header.size() == 55 && header.starts_with("00-"));
  const auto again = propagation::parse_traceparent(header);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->trace_id() == parsed->trace_id() && again->span_id() == parsed->span_id() &&
             again->flags() == parsed->flags());
  return 0;
}
