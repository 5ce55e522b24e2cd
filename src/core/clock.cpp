#include "lumen/core/clock.hpp"

namespace lumen {

const SystemClock& SystemClock::instance() noexcept {
  static const SystemClock clock;
  return clock;
}

}  // namespace lumen
