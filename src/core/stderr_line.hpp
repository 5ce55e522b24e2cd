// Diagnostics to stderr, one line per write(2). A line streamed in pieces (`std::cerr << line <<
// '\n'` is two writes) interleaves with other threads' output, ours or the application's, and a
// log collector reading stderr then sees two cut lines.
#pragma once

#include <string_view>

namespace lumen::detail {

// Writes `line` and a newline with a single write(2) to fd 2, retried on EINTR (a short write's
// rest follows, which only a pipe or terminal does, for lines over PIPE_BUF). Any thread; never
// throws.
void write_stderr_line(std::string_view line) noexcept;

}  // namespace lumen::detail
