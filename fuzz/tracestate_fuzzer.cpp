// The tracestate header through extract(): is_valid_tracestate never crashes, and extract keeps
// the header's members (normalised, without whitespace or empty members) when it is valid, beside
// a fixed valid traceparent.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "fuzz_check.hpp"
#include "lumen/trace/propagation.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace propagation = lumen::propagation;
  const std::string_view tracestate = lumen::fuzz::as_text(data, size);
  const bool valid = propagation::is_valid_tracestate(tracestate);

  const std::map<std::string, std::string> headers{
      {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
      {"tracestate", std::string(tracestate)}};
  const lumen::Context context = propagation::extract(headers);
  FUZZ_CHECK(context.span().is_valid());
  const std::string& kept = context.span().trace_state();
  if (!kept.empty()) {
    FUZZ_CHECK(propagation::is_valid_tracestate(kept));
    FUZZ_CHECK(propagation::normalize_tracestate(kept) == kept);
  } else if (valid) {
    // Only a list of empty members (or blanks) is valid and kept as nothing.
    FUZZ_CHECK(tracestate.find('=') == std::string_view::npos);
  }

  // What extract kept, inject writes back unchanged.
  std::map<std::string, std::string> out;
  propagation::inject(context, out);
  if (!kept.empty()) FUZZ_CHECK(out["tracestate"] == kept);
  return 0;
}
