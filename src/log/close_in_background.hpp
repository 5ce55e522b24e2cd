// Closing a removed file's last descriptor away from the caller's thread.
//
// When a rotation removes the oldest log file, the kernel frees the file's cached pages at the
// last close of the file: about 3 ms for a 64 MB file on ext4, 10 % of the log writer's time
// under a steady stream of records. On the writer's thread that is a stall in which the queue
// fills and the logging threads wait; a short-lived thread takes it instead, at idle priority.
// The file's disk space comes back when that thread has closed it: moments later on a machine
// with a free core, up to about a second on one saturated by other work.
#pragma once

namespace lumen::log::detail {

// Closes fd (an open descriptor of a file already removed) on a thread of its own, or at once
// when kMaxFilesClosing closes are still in flight or no thread can be started.
void close_in_background(int fd) noexcept;

inline constexpr int kMaxFilesClosing = 2;

// Closes started by close_in_background() and not yet done.
[[nodiscard]] int files_closing() noexcept;

}  // namespace lumen::log::detail
