// ImageOptimizer: shrinks uploaded images before analysis and makes thumbnails, on libvips.
//
// One pass through libvips per call: the decoder shrinks on load when the target is much smaller
// (JPEG DCT scaling, WebP scaled decode), EXIF orientation is applied, colour is converted to sRGB,
// alpha is flattened onto white for JPEG, metadata is stripped unless asked for, and a multi-page
// or animated input gives its first page. Images are never enlarged by optimize_for_analysis.
// When re-encoding does not make the input smaller and the input already has the size and format
// asked for (with `keep_smaller_original`, any format), the input bytes come back unchanged
// (`is_original`).
//
// Hostile input gets an ImageError, never a crash: the header's dimensions are checked against
// `max_pixels` before any pixel is decoded, and each call has a time budget. With a memory budget,
// the decoded size is admitted against it before any pixel is decoded too.
//
// Thread-safety: all methods are const and may be called concurrently; libvips is started once
// per process (see vips_runtime.hpp for its cache and thread settings).
//
//   lumen::image::ImageOptimizer optimizer({.tracer = &provider.tracer("checkout")});
//   auto result = optimizer.optimize_for_analysis(upload, {.format = lumen::image::Format::kWebp});
//   if (!result) return reject(result.error().message);
//   const lumen::image::OptimizedImage& img = result.value();
//   std::printf("%dx%d -> %dx%d, %.1f %% saved\n", img.original.width, img.original.height,
//               img.width, img.height, img.reduction_percent);
//   auto thumb = optimizer.generate_thumbnail(upload, 256);   // 256x256 JPEG, centre crop
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lumen/image/image_error.hpp"

namespace lumen::trace {
class Tracer;
}
namespace lumen::metrics {
class Meter;
}

namespace lumen::image {

class MemoryBudget;

enum class Format : unsigned char { kJpeg, kWebp, kPng };

[[nodiscard]] std::string_view to_string(Format format) noexcept;  // "jpeg", "webp", "png"
[[nodiscard]] std::string_view extension(Format format) noexcept;  // ".jpg", ".webp", ".png"
[[nodiscard]] std::optional<Format> parse_format(std::string_view name) noexcept;  // also "jpg"

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// What the input's header says (before any processing).
struct ImageMetadata {
  int width = 0;  // as stored, before EXIF orientation; of one page for multi-page images
  int height = 0;
  std::string format;    // "jpeg", "png", "webp", "gif", "tiff", "heif"
  std::size_t size = 0;  // bytes
  double density = 0;    // pixels per inch; 0 when the file does not say
  int orientation = 1;   // EXIF orientation 1..8
  bool has_alpha = false;
  int pages = 1;
  std::string space;  // libvips interpretation: "srgb", "cmyk", "b-w", "rgb16"...
  int bits_per_sample = 8;
  int bands = 3;  // samples per pixel, alpha included
};

struct OptimizeOptions {
  int max_width = 1920;
  int max_height = 1920;
  int quality = 85;  // 1..100; JPEG and WebP (PNG is lossless)
  Format format = Format::kJpeg;
  bool preserve_metadata = false;  // keep EXIF/XMP/ICC (orientation is applied either way)
  // JPEG only: progressive encoding. At the same quality it writes 3.3 % fewer bytes on the
  // corpus (up to 12 % on document pages; a few percent more on small flat artwork) but takes
  // 11 % longer, so baseline stays the default, as in sharp.
  bool progressive = false;
  // Also keep an input of another format when re-encoding would not make it smaller: the result
  // is then never larger than the input, but may not be in `format`. Off by default because a
  // caller who asks for WebP usually needs WebP; a tool that writes files (lumen-image) wants it.
  bool keep_smaller_original = false;
};

struct OptimizedImage {
  Bytes bytes;
  ImageMetadata original;
  int width = 0;  // of the output, after orientation
  int height = 0;
  Format format = Format::kJpeg;  // as asked; when `is_original`, `original.format` is the truth
  double reduction_percent = 0;   // 0..100, never negative
  bool is_original = false;       // re-encoding did not help: `bytes` are the input's
};

struct Thumbnail {
  Bytes bytes;  // JPEG
  int width = 0;
  int height = 0;
};

// The original design's whole job for one image, from a single decode.
struct ProcessedImage {
  OptimizedImage optimized;
  Thumbnail thumbnail;
};

struct OptimizerOptions {
  // Decompression-bomb guard: width x height (of one page) declared by the header.
  std::uint64_t max_pixels = 100'000'000;
  std::size_t max_input_bytes = std::size_t{256} << 20;
  // Per call; past it libvips is told to stop and the call returns kTimeout.
  std::chrono::milliseconds time_budget = std::chrono::seconds(30);
  int thumbnail_quality = 80;
  // Optional instrumentation: span `image.optimize`, and counters image.input.size /
  // image.output.size (By) and histogram image.optimize.duration (s). Both must outlive us.
  const trace::Tracer* tracer = nullptr;
  metrics::Meter* meter = nullptr;
  // Optional, shared by any number of optimizers: each call reserves the decoded size of its image
  // (decoded_bytes(), from the header) for as long as it runs, and fails at once with kBusy when
  // the budget is full now, kTooLarge when the image needs more than all of it
  // (lumen/image/memory_budget.hpp). Must outlive us.
  MemoryBudget* memory_budget = nullptr;
};

class ImageOptimizer {
 public:
  // Starts libvips on first use; throws lumen::Error if it cannot start.
  explicit ImageOptimizer(OptimizerOptions options = {});
  ~ImageOptimizer();
  ImageOptimizer(const ImageOptimizer&) = delete;
  ImageOptimizer& operator=(const ImageOptimizer&) = delete;

  [[nodiscard]] ImageResult<OptimizedImage> optimize_for_analysis(
      ByteView input, const OptimizeOptions& options = {}) const;

  // size x size, scaled to cover and cropped around the centre (small inputs are enlarged).
  [[nodiscard]] ImageResult<Thumbnail> generate_thumbnail(ByteView input, int size = 256) const;

  // Metadata, optimized copy and thumbnail from one decode (the thumbnail is made from the
  // optimized pixels, so it costs a resize and an encode, not a second decode).
  [[nodiscard]] ImageResult<ProcessedImage> process(ByteView input, const OptimizeOptions& options,
                                                    int thumbnail_size = 256) const;

  // Header only: no pixel is decoded.
  [[nodiscard]] ImageResult<ImageMetadata> read_metadata(ByteView input) const;

  [[nodiscard]] const OptimizerOptions& options() const noexcept { return options_; }

 private:
  struct Instruments;
  OptimizerOptions options_;
  std::unique_ptr<Instruments> instruments_;
};

}  // namespace lumen::image
