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

// How many times the thread has been given a CPU so far (the third field of its schedstat): each
// wake-up from a sleep or a wait counts one. 0 if the thread is gone.
inline std::uint64_t times_scheduled(const std::string& thread_id) {
  std::ifstream schedstat("/proc/self/task/" + thread_id + "/schedstat");
  std::uint64_t on_cpu_ns = 0;
  std::uint64_t waiting_ns = 0;
  std::uint64_t slices = 0;
  schedstat >> on_cpu_ns >> waiting_ns >> slices;
  return slices;
}

}  // namespace lumen::testing
