// What keeps a server answering when the process runs short of file descriptors.
//
// connection_cap_from_fd_limit() bounds the connections a server keeps open by RLIMIT_NOFILE,
// minus the descriptors already open and a reserve for the rest of the process (log files,
// upstream connections). Several servers in one process each take their cap from the same limit,
// so descriptors can still run out; then accept() fails with EMFILE while the connection waits in
// the listen queue, and a server that simply retries spins on it. SpareDescriptor is the way out:
// one descriptor held open on /dev/null, given up for a moment to accept that connection and tell
// it 503, then taken again.
// Several servers in one process (the API port and the admin endpoint) each keeping to their own
// cap can still take every descriptor between them; then the one whose spare another took answers
// no one. So every connection also counts against one process-wide cap (ProcessConnectionShare).
// Thread-safety: SpareDescriptor is used by one thread (the server's I/O thread); the process-wide
// count is atomic.
#pragma once

#include <cstddef>

namespace lumen::admin::detail {

// Descriptors left to the rest of the process beside what a server's connections take.
inline constexpr std::size_t kDescriptorReserve = 32;

// min(wanted, RLIMIT_NOFILE - descriptors open now - kDescriptorReserve), at least 1.
[[nodiscard]] std::size_t connection_cap_from_fd_limit(std::size_t wanted);

// The cap that the connections of every server in the process share: RLIMIT_NOFILE minus the
// descriptors open when it is first asked for (the first server's start) and the reserve.
[[nodiscard]] std::size_t process_connection_cap();
// Whether the process's connections have reached that cap (a new one is then refused with 503).
[[nodiscard]] bool process_connections_at_cap();

// Held by each open connection (an HTTP session or a WebSocket) for as long as it lives.
class ProcessConnectionShare {
 public:
  ProcessConnectionShare();
  ~ProcessConnectionShare();
  ProcessConnectionShare(const ProcessConnectionShare&) = delete;
  ProcessConnectionShare& operator=(const ProcessConnectionShare&) = delete;
};

class SpareDescriptor {
 public:
  SpareDescriptor();  // holds one descriptor when one can be opened
  ~SpareDescriptor();
  SpareDescriptor(const SpareDescriptor&) = delete;
  SpareDescriptor& operator=(const SpareDescriptor&) = delete;

  // Closes the spare, making room for one accept(); false when none was held.
  bool release();
  // Takes a descriptor again (after the accepted connection was closed).
  void reacquire();

 private:
  int fd_ = -1;
};

}  // namespace lumen::admin::detail
