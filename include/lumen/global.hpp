// lumen::global: the process-wide tracer, meter and logger, for code that cannot be handed a
// Runtime (a library deep in the stack). A lumen::Runtime installs its own objects here when it is
// built and removes them when it is destroyed; before that, and after, the global hands out
// no-ops: spans that are not sampled (they still carry the current trace id on), instruments that
// record nothing anyone reads, and a logger that writes nothing.
//
//   // Deep in a library, with no Runtime in reach:
//   void resize(Image& image) {
//     lumen::global::tracer("imagelib").trace("imagelib.resize", [&] { ... });
//     // A lookup per call: fine off the hot path (see Lifetime for keeping the instrument).
//     lumen::global::meter("imagelib").create_counter("imagelib.resized").add(1);
//     lumen::global::logger().debug("resized", {{"width", image.width}});
//   }
//   // In main():
//   lumen::Runtime rt = lumen::init();   // from here on the global hands out rt's objects
//
// Lifetime. A reference from tracer() or meter() never dangles: when the Runtime that handed it
// out is destroyed, the global keeps that Runtime's providers (their memory, shut down, with no
// thread running) until the process exits, and spans started from such a reference afterwards are
// not sampled. It is still the wrong object once the Runtime is gone, and a no-op one if it was
// fetched before the Runtime was installed: fetch per operation (one lock and a lookup by name)
// rather than once into a static. Instruments are handles into their meter's storage, so one
// created before a Runtime is installed stays a no-op; create instruments after the Runtime, or
// accept that. logger() returns a handle that shares the logger it copies: it is always safe to
// keep, and writes nothing once its Runtime is destroyed. A span started from the global may end
// after its Runtime is destroyed: it is dropped (with Runtime::tracer() it must end before).
//
// Thread-safety: every function may be called concurrently, and concurrently with Runtimes (or
// Installations) being created and destroyed. The most recently installed Runtime that is still
// alive is the one handed out.
#pragma once

#include <memory>
#include <optional>
#include <string_view>

#include "lumen/log/logger.hpp"
#include "lumen/metrics/meter.hpp"
#include "lumen/trace/propagator.hpp"
#include "lumen/trace/tracer.hpp"
#include "lumen/trace/tracer_provider.hpp"

namespace lumen::global {

// The installed tracer for this scope, or a tracer whose spans are never sampled.
[[nodiscard]] trace::Tracer& tracer(std::string_view name, std::string_view version = {});
// The installed meter with this name, or a meter whose instruments record nothing.
[[nodiscard]] metrics::Meter& meter(std::string_view name);
// A handle to the installed logger, or to one that writes nothing.
[[nodiscard]] log::Logger logger();
// The installed Runtime's propagator (OTEL_PROPAGATORS), or the default (tracecontext,baggage).
[[nodiscard]] propagation::Propagator propagator();
// True while an Installation (a Runtime) is in place.
[[nodiscard]] bool installed() noexcept;

// Makes a set of providers the global's until it is destroyed. lumen::Runtime holds one; build
// one yourself to install providers without a Runtime (in a test, say). A null provider or an
// empty logger leaves that part a no-op; the propagator is the default unless given.
class Installation {
 public:
  Installation(std::shared_ptr<trace::TracerProvider> tracers,
               std::shared_ptr<metrics::MeterProvider> meters,
               std::optional<log::Logger> logger = std::nullopt,
               propagation::Propagator propagator = {});
  ~Installation() { (void)uninstall(); }
  Installation(const Installation&) = delete;
  Installation& operator=(const Installation&) = delete;

  // The global stops handing these objects out (an older Installation still alive becomes the
  // global again). Returns true when a tracer or meter reference was handed out while installed:
  // the global then keeps the providers so that those references stay valid, and their
  // destructors never run, so the caller must shut the TracerProvider down itself. Idempotent.
  [[nodiscard]] bool uninstall() noexcept;

  struct Record;  // the global's bookkeeping, defined in global.cpp

 private:
  Record* record_;
};

}  // namespace lumen::global
