// Deadline: the moment by which a flush, export or shutdown must return. Every blocking call in
// lumen takes one, so that no wait is unbounded; it is a point on the monotonic clock, so that a
// wall-clock step (NTP, a suspended VM) neither cuts a wait short nor stretches it.
//
//   lumen::Deadline deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
//   exporter.shutdown(deadline);
#pragma once

#include <chrono>

namespace lumen {

using Deadline = std::chrono::steady_clock::time_point;

}  // namespace lumen
