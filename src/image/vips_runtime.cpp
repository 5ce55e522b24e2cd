#include "lumen/image/vips_runtime.hpp"

#include <vips/vector.h>  // vips_vector_set_enabled, which vips8 leaves out
#include <vips/vips8>

#include <mutex>

#include "lumen/core/error.hpp"
#include "lumen/core/internal/mutex.hpp"

namespace lumen::image {
namespace {

std::once_flag g_started;
bool g_start_failed = false;
lumen::internal::Mutex g_settings_mutex;
bool g_configured LUMEN_GUARDED_BY(g_settings_mutex) = false;

// One writer of libvips' global settings at a time.
void apply(const LibvipsSettings& settings) LUMEN_REQUIRES(g_settings_mutex) {
  vips_cache_set_max(settings.cache_max_operations);
  vips_cache_set_max_mem(settings.cache_max_memory);
  vips_cache_set_max_files(settings.cache_max_files);
  if (settings.threads > 0) vips_concurrency_set(settings.threads);
  vips_vector_set_enabled(settings.vector ? TRUE : FALSE);
}

void start() {
  std::call_once(g_started, [] {
    // vips_init is not safe to call concurrently with itself; call_once makes it so. libvips is
    // never shut down: other threads may still hold images at exit.
    if (vips_init("lumen") != 0) {
      g_start_failed = true;
      return;
    }
    // Decoder warnings (a truncated file...) reach the caller as ImageErrors (we load with
    // fail_on=warning); printed too, they would flood a server's stderr with attacker-made text.
    g_log_set_handler(
        "VIPS", G_LOG_LEVEL_WARNING, [](const gchar*, GLogLevelFlags, const gchar*, gpointer) {},
        nullptr);
  });
  if (g_start_failed) {
    throw Error("libvips failed to start (vips_init): check the libvips installation");
  }
}

}  // namespace

void configure_libvips(const LibvipsSettings& settings) {
  start();
  lumen::internal::MutexLock lock(g_settings_mutex);
  apply(settings);
  g_configured = true;
}

void ensure_libvips_started() {
  start();
  lumen::internal::MutexLock lock(g_settings_mutex);
  if (!g_configured) {
    apply(LibvipsSettings{});
    g_configured = true;
  }
}

std::string libvips_version() {
  start();
  return vips_version_string();
}

}  // namespace lumen::image
