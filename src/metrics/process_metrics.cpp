#include "lumen/metrics/process_metrics.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace lumen::metrics {
namespace {

std::optional<std::uint64_t> to_u64(std::string_view s) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::string> read_text(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// btime from /proc/stat: when the system booted, in seconds since the epoch.
std::optional<std::uint64_t> boot_time() {
  const auto text = read_text("/proc/stat");
  if (!text) return std::nullopt;
  const std::size_t at = text->find("\nbtime ");
  if (at == std::string::npos) return std::nullopt;
  const std::size_t start = at + 7;
  const std::size_t end = text->find('\n', start);
  return to_u64(std::string_view(*text).substr(start, end - start));
}

std::optional<std::uint64_t> open_fds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return std::nullopt;
  std::uint64_t n = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++n;
  }
  ::closedir(dir);
  return n > 0 ? n - 1 : 0;  // not the descriptor that listed the directory
}

std::optional<std::uint64_t> max_fds() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
    return std::nullopt;
  return static_cast<std::uint64_t>(limit.rlim_cur);
}

}  // namespace

ProcessSample parse_proc_stat(std::string_view stat, long ticks_per_second, long page_size,
                              std::optional<std::uint64_t> boot) {
  ProcessSample s;
  // The command name (field 2) is in parentheses and may contain anything, ')' included.
  const std::size_t close = stat.rfind(')');
  if (close == std::string_view::npos || ticks_per_second <= 0 || page_size <= 0) return s;
  std::vector<std::string_view> fields;  // fields[0] is field 3 (state)
  std::string_view rest = stat.substr(close + 1);
  while (!rest.empty()) {
    const std::size_t begin = rest.find_first_not_of(" \n");
    if (begin == std::string_view::npos) break;
    rest.remove_prefix(begin);
    const std::size_t end = std::min(rest.find_first_of(" \n"), rest.size());
    fields.push_back(rest.substr(0, end));
    rest.remove_prefix(end);
  }
  const auto field = [&](std::size_t number) -> std::optional<std::uint64_t> {
    return number - 3 < fields.size() ? to_u64(fields[number - 3]) : std::nullopt;
  };
  const auto ticks = static_cast<double>(ticks_per_second);
  if (auto utime = field(14), stime = field(15); utime && stime) {
    s.cpu_seconds = static_cast<double>(*utime + *stime) / ticks;
  }
  s.threads = field(20);
  if (auto start = field(22); start && boot) {
    s.start_time_seconds = static_cast<double>(*boot) + static_cast<double>(*start) / ticks;
  }
  s.virtual_memory_bytes = field(23);
  if (auto rss = field(24)) s.resident_memory_bytes = *rss * static_cast<std::uint64_t>(page_size);
  return s;
}

ProcessSample read_process_sample() {
  ProcessSample s;
  if (const auto stat = read_text("/proc/self/stat")) {
    s = parse_proc_stat(*stat, ::sysconf(_SC_CLK_TCK), ::sysconf(_SC_PAGESIZE), boot_time());
  }
  s.open_fds = open_fds();
  s.max_fds = max_fds();
  return s;
}

ProcessMetrics::ProcessMetrics(Meter& meter) {
  const auto gauge = [&](const char* name, const char* unit, const char* description, auto pick) {
    registrations_.push_back(
        meter.create_observable_gauge(name,
                                      [pick](ObserverResult& r) {
                                        if (const auto v = pick(read_process_sample()))
                                          r.observe(*v);
                                      },
                                      {.description = description, .unit = unit}));
  };
  gauge("process_resident_memory_bytes", "By", "Resident memory size in bytes",
        [](const ProcessSample& s) { return s.resident_memory_bytes; });
  gauge("process_virtual_memory_bytes", "By", "Virtual memory size in bytes",
        [](const ProcessSample& s) { return s.virtual_memory_bytes; });
  gauge("process_open_fds", "", "Number of open file descriptors",
        [](const ProcessSample& s) { return s.open_fds; });
  gauge("process_max_fds", "", "Maximum number of open file descriptors",
        [](const ProcessSample& s) { return s.max_fds; });
  gauge("process_threads", "", "Number of OS threads in the process",
        [](const ProcessSample& s) { return s.threads; });
  gauge("process_start_time_seconds", "s",
        "Start time of the process since the Unix epoch in seconds",
        [](const ProcessSample& s) { return s.start_time_seconds; });
  registrations_.push_back(meter.create_observable_counter(
      "process_cpu_seconds_total",
      [](ObserverResult& r) {
        if (const auto v = read_process_sample().cpu_seconds) r.observe(*v);
      },
      {.description = "Total user and system CPU time spent in seconds", .unit = "s"}));
}

}  // namespace lumen::metrics
