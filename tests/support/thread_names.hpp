// Threads of this process by name, for tests that check a worker thread came and went (by name,
// since a sanitizer may run threads of its own and start them lazily) or how often it ran.
// A joined thread may stay listed for a moment after its join returns: poll with eventually()
// for it to go.
#pragma once

#include <dirent.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace lumen::testing {

// The ids (/proc/self/task entries) of the threads that carry the name.
inline std::vector<std::string> thread_ids_named(std::string_view wanted) {
  std::vector<std::string> ids;
  if (DIR* dir = ::opendir("/proc/self/task")) {
    while (const dirent* entry = ::readdir(dir)) {
      if (entry->d_name[0] == '.') continue;
      std::ifstream comm(std::string("/proc/self/task/") + entry->d_name + "/comm");
      std::string name;
      std::getline(comm, name);
      if (name == wanted) ids.emplace_back(entry->d_name);
    }
    ::closedir(dir);
  }
  return ids;
}

inline int threads_named(std::string_view wanted) {
  return static_cast<int>(thread_ids_named(wanted).size());
}

// How many times the thread has gone to sleep or waited so far (its voluntary context switches):
// each one is a wake-up later. Preemption is not counted, so a loaded machine does not inflate it
// (the schedstat count of times given a CPU did, and failed a bound under ASan). 0 if the thread
// is gone.
inline std::uint64_t times_woken(const std::string& thread_id) {
  std::ifstream status("/proc/self/task/" + thread_id + "/status");
  constexpr std::string_view kField = "voluntary_ctxt_switches:";
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with(kField)) return std::stoull(line.substr(kField.size()));
  }
  return 0;
}

}  // namespace lumen::testing
