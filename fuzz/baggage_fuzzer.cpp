// parse_baggage on any header value: never crashes, keeps at most 180 members, and its result
// survives a round trip: formatting it and parsing that gives its entries back, in order, less
// those that format_baggage leaves out to stay within 8192 bytes.
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "lumen/trace/propagation.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace propagation = lumen::propagation;
  const lumen::Baggage parsed = propagation::parse_baggage(lumen::fuzz::as_text(data, size));
  FUZZ_CHECK(parsed.entries().size() <= propagation::kMaxBaggageMembers);

  const std::string header = propagation::format_baggage(parsed);
  FUZZ_CHECK(header.size() <= propagation::kMaxBaggageBytes);
  const lumen::Baggage again = propagation::parse_baggage(header);
  std::size_t next = 0;
  for (const lumen::Baggage::Entry& entry : again.entries()) {
    while (next < parsed.entries().size() && !(parsed.entries()[next] == entry)) ++next;
    FUZZ_CHECK(next < parsed.entries().size());
    ++next;
  }
  return 0;
}
