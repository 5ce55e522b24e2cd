// Process metrics read from /proc/self on each collection, as observable instruments with the
// usual Prometheus names: process_resident_memory_bytes, process_virtual_memory_bytes,
// process_cpu_seconds_total, process_open_fds, process_max_fds, process_threads and
// process_start_time_seconds (Unix time).
//
//   lumen::metrics::ProcessMetrics process(provider.meter("process"));   // keep it alive
//   // every collection (scrape, periodic export) now carries the process_* series
//
// Linux only: elsewhere the callbacks observe nothing. A value that cannot be read (a /proc file
// missing in a sandbox) is left out of that collection; nothing throws.
// Thread-safety: the callbacks run on the collecting thread; read_process_sample() is reentrant.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "lumen/metrics/meter.hpp"

namespace lumen::metrics {

struct ProcessSample {
  std::optional<std::uint64_t> resident_memory_bytes;
  std::optional<std::uint64_t> virtual_memory_bytes;
  std::optional<double> cpu_seconds;  // user + system
  std::optional<std::uint64_t> threads;
  std::optional<double> start_time_seconds;  // since the Unix epoch
  std::optional<std::uint64_t> open_fds;
  std::optional<std::uint64_t> max_fds;  // the soft RLIMIT_NOFILE
};

// The fields of /proc/<pid>/stat that the sample uses, given the clock-tick rate, the page size and
// the boot time (seconds since the epoch, from /proc/stat's btime). Nullopt fields when malformed.
[[nodiscard]] ProcessSample parse_proc_stat(std::string_view stat, long ticks_per_second,
                                            long page_size, std::optional<std::uint64_t> boot_time);

// Everything, read now from /proc/self.
[[nodiscard]] ProcessSample read_process_sample();

class ProcessMetrics {
 public:
  // Registers the seven instruments on `meter`; they stay registered while this object lives.
  explicit ProcessMetrics(Meter& meter);

 private:
  std::vector<ObservableRegistration> registrations_;
};

}  // namespace lumen::metrics
