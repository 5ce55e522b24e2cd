// Every header format's extract on any set of header lines ("name: value" per line, repeats
// allowed): never crashes, and what one format accepts it writes (inject) as headers that it reads
// back to the same trace id, span id and sampled flag. All the formats composed never crash either.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "fuzz_check.hpp"
#include "lumen/trace/propagator.hpp"

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

Headers header_lines(std::string_view text) {
  Headers headers;
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  return headers;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace propagation = lumen::propagation;
  using propagation::Format;
  const Headers headers = header_lines(lumen::fuzz::as_text(data, size));

  for (const Format format :
       {Format::kTraceContext, Format::kB3, Format::kB3Multi, Format::kJaeger}) {
    const propagation::Propagator one({format});
    const lumen::Context extracted = one.extract(headers);
    const lumen::SpanContext& parent = extracted.span();
    if (!parent.is_valid()) continue;
    FUZZ_CHECK(parent.is_remote());
    Headers written;
    one.inject(extracted, written);
    const lumen::SpanContext again = one.extract(written).span();
    FUZZ_CHECK(again.is_valid());
    FUZZ_CHECK(again.trace_id() == parent.trace_id() && again.span_id() == parent.span_id() &&
               again.is_sampled() == parent.is_sampled());
  }

  const propagation::Propagator all(
      {Format::kTraceContext, Format::kBaggage, Format::kB3, Format::kB3Multi, Format::kJaeger});
  Headers written;
  all.inject(all.extract(headers), written);
  return 0;
}
