// The Retry-After header of a 429 or 503 answer, as the OTLP and Jaeger exporters' sender reads
// it (delta seconds or an HTTP date, through curl_getdate). Never crashes and never asks for a
// negative wait (the sender caps a long one by the export's deadline).
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "export/http_sender.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A fixed "now" keeps a run reproducible: 2026-01-01T00:00:00Z.
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1767225600));
  const auto delay =
      lumen::exporters::detail::parse_retry_after(lumen::fuzz::as_text(data, size), now);
  if (delay) FUZZ_CHECK(delay->count() >= 0);
  return 0;
}
