// libvips's process-wide settings, applied once when the first ImageOptimizer is built.
//
// libvips keeps an operation cache; an optimizer sees each image once, so a cached operation only
// pins its input buffer, and the default here is no cache at all. `threads` is libvips's own
// worker count per pipeline (0: libvips's default, the number of cores): a program that already
// runs one image per core (lumen-image --jobs N) sets it to 1. libvips's own warnings (log domain
// "VIPS") are dropped: the optimizer reports them as ImageErrors instead.
//
// libvips's vector paths (run-time compiled ORC programs) are off unless `vector` is set: with
// Debian 12's libvips 8.14 and liborc 0.4, optimizations running concurrently crashed inside
// orc_code_free (a free of a pointer malloc never gave, or a segmentation fault) in 9 of 2,000 runs
// of ImageOptimizerStress, and in none of 2,000 with the vector paths off; optimizing the 36
// images of the sample corpus (60 MB) took 2.07-2.11 s either way.
//
//   lumen::image::configure_libvips({.threads = 1});   // before the first ImageOptimizer
//   std::cout << lumen::image::libvips_version() << '\n';
#pragma once

#include <cstddef>
#include <string>

namespace lumen::image {

struct LibvipsSettings {
  int cache_max_operations = 0;
  std::size_t cache_max_memory = 0;
  int cache_max_files = 0;
  int threads = 0;
  bool vector = false;  // libvips's ORC vector paths: see above before turning them on
};

// Starts libvips if needed and applies the settings (they may be changed later too).
// Throws lumen::Error if libvips cannot start.
void configure_libvips(const LibvipsSettings& settings);

// Starts libvips with the defaults above if nothing started it yet.
void ensure_libvips_started();

[[nodiscard]] std::string libvips_version();

}  // namespace lumen::image
