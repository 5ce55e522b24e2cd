// Which threads of a process would take a signal themselves. A program that waits for SIGTERM
// with sigwait or sigtimedwait must block it in every thread (before it starts any): the kernel
// gives a process's signal to any thread that does not block it, and there the default action
// ends the process, however rarely the waiting thread happens to be busy at that moment.
#pragma once

#include <dirent.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace lumen::testing {

// The ids (/proc/<pid>/task entries) of the threads of `pid` whose mask (SigBlk) leaves `signal`
// unblocked, with their names: "1234 (admin-io)". A thread inside sigwait or sigtimedwait is the
// one meant to take it (the kernel unblocks the awaited signals for the time of the call, and
// SigBlk shows that): it is not listed.
inline std::vector<std::string> threads_not_blocking(pid_t pid, int signal) {
  std::vector<std::string> found;
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = ::opendir(tasks.c_str());
  if (dir == nullptr) return {"cannot read " + tasks};
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    const std::string task = tasks + "/" + entry->d_name;
    std::ifstream status(task + "/status");
    std::string line;
    std::optional<std::uint64_t> blocked;
    while (std::getline(status, line)) {
      if (line.rfind("SigBlk:", 0) == 0) blocked = std::stoull(line.substr(7), nullptr, 16);
    }
    if (!blocked) continue;  // the thread ended while the list was read (a request's thread)
    std::ifstream syscall(task + "/syscall");
    long number = -1;
    syscall >> number;
    if ((*blocked >> (signal - 1) & 1U) == 0 && number != SYS_rt_sigtimedwait) {
      std::ifstream comm(task + "/comm");
      std::string name;
      std::getline(comm, name);
      found.push_back(std::string(entry->d_name) + " (" + name + ")");
    }
  }
  ::closedir(dir);
  return found;
}

}  // namespace lumen::testing
