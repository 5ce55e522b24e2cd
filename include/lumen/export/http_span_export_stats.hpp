// HttpSpanExportStats: what the Jaeger and Zipkin exporters' stats() count, the same for both
// (each sends one HTTP request per encoded batch). Counts only grow.
//
//   const lumen::exporters::HttpSpanExportStats stats = zipkin.stats();
//   lost += stats.spans_failed;
#pragma once

#include <cstdint>

namespace lumen::exporters {

struct HttpSpanExportStats {
  std::uint64_t spans_exported = 0;  // in requests the receiver accepted (2xx)
  std::uint64_t spans_failed = 0;    // dropped: undeliverable, unencodable, or after shutdown
  std::uint64_t requests_sent = 0;   // requests delivered
  std::uint64_t requests_failed = 0;
  std::uint64_t bytes_sent = 0;  // bodies delivered
};

}  // namespace lumen::exporters
