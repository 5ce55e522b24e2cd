// Runs a workload against an HTTP endpoint and measures every request.
//
// Open loop: requests leave at their planned times whatever the server does (a slow server does not
// slow the arrivals down), and each latency counts from the planned time, so time spent waiting
// for a free connection is part of it (no coordinated omission). Closed loop: `concurrency`
// clients each send their next request as soon as the previous one is answered: the throughput
// the service can sustain.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "workload.hpp"

namespace loadgen {

struct RunSummary {
  std::uint64_t sent = 0;
  std::uint64_t ok = 0;                   // 2xx
  std::map<int, std::uint64_t> statuses;  // every status seen (0: no answer)
  double seconds = 0;                     // wall time of the run
  double throughput = 0;                  // answered 2xx per second
  double mean_ms = 0;                     // of all requests
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double p999_ms = 0;
  double max_ms = 0;
};

// The percentiles of `latencies_ms` (sorted here); the nearest-rank method.
void summarize_latencies(std::vector<double> latencies_ms, RunSummary& summary);

// `body` builds the JSON body of a planned request.
using BodyOf = std::function<std::string(const PlannedRequest&)>;

[[nodiscard]] RunSummary run_open_loop(const std::string& url,
                                       const std::vector<PlannedRequest>& plan, const BodyOf& body,
                                       std::size_t connections);

[[nodiscard]] RunSummary run_closed_loop(
    const std::string& url, std::size_t concurrency, std::chrono::milliseconds duration,
    const std::function<std::string(std::uint64_t sequence)>& body);

}  // namespace loadgen
