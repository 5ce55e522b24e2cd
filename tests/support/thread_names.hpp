// threads_named(): how many threads of this process carry a name, for tests that check a worker
// thread came and went (by name, since a sanitizer may run threads of its own and start them
// lazily). A joined thread may stay listed for a moment after its join returns: poll with
// eventually() for it to go.
#pragma once

#include <dirent.h>

#include <fstream>
#include <string>
#include <string_view>

namespace lumen::testing {

inline int threads_named(std::string_view wanted) {
  int n = 0;
  if (DIR* dir = ::opendir("/proc/self/task")) {
    while (const dirent* entry = ::readdir(dir)) {
      if (entry->d_name[0] == '.') continue;
      std::ifstream comm(std::string("/proc/self/task/") + entry->d_name + "/comm");
      std::string name;
      std::getline(comm, name);
      n += name == wanted ? 1 : 0;
    }
    ::closedir(dir);
  }
  return n;
}

}  // namespace lumen::testing
