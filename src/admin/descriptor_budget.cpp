#include "descriptor_budget.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <limits>

namespace lumen::admin::detail {
namespace {

// Linux lists a process's open descriptors in /proc/self/fd; elsewhere the reserve alone counts.
std::size_t open_descriptors() {
  std::error_code ec;
  std::size_t count = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++count;
  }
  return count;
}

std::atomic<std::size_t>& process_connections() {
  static std::atomic<std::size_t> count{0};
  return count;
}

}  // namespace

std::size_t connection_cap_from_fd_limit(std::size_t wanted) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return wanted;
  const std::size_t used = open_descriptors() + kDescriptorReserve;
  const auto total = static_cast<std::size_t>(limit.rlim_cur);
  const std::size_t available = total > used ? total - used : 1;
  return std::max<std::size_t>(1, std::min(wanted, available));
}

std::size_t process_connection_cap() {
  static const std::size_t cap =
      connection_cap_from_fd_limit(std::numeric_limits<std::size_t>::max());
  return cap;
}

bool process_connections_at_cap() {
  return process_connections().load() >= process_connection_cap();
}

ProcessConnectionShare::ProcessConnectionShare() {
  process_connections().fetch_add(1);
}

ProcessConnectionShare::~ProcessConnectionShare() {
  process_connections().fetch_sub(1);
}

SpareDescriptor::SpareDescriptor() {
  reacquire();
}

SpareDescriptor::~SpareDescriptor() {
  release();
}

bool SpareDescriptor::release() {
  if (fd_ < 0) return false;
  ::close(fd_);
  fd_ = -1;
  return true;
}

void SpareDescriptor::reacquire() {
  if (fd_ < 0) fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

}  // namespace lumen::admin::detail
