// Internal: the libvips side of the optimizer (probing headers, time budgets, encoding). Only
// src/image includes this; it pulls in <vips/vips8>.
#pragma once

#include <vips/vips8>

#include <atomic>
#include <chrono>
#include <string>

#include "lumen/image/image_optimizer.hpp"

namespace lumen::image::detail {

// Reads the header (no pixel decoded) and rejects what we will not decode: empty input, unknown
// or unsupported formats, broken headers, and images over the pixel or byte limit.
ImageResult<ImageMetadata> probe(ByteView input, const OptimizerOptions& options);

// One call's deadline, shared by the budgets attached to the images the call evaluates.
struct Deadline {
  std::chrono::steady_clock::time_point at;
  std::atomic<bool> expired{false};
};

// Stops the evaluation of `image` (and of the pipeline that computes it) once the deadline has
// passed: libvips emits "eval" on the image as tiles complete; the handler sets the kill flag,
// which makes the running sink fail.
class TimeBudget {
 public:
  TimeBudget(const vips::VImage& image, Deadline& deadline);
  ~TimeBudget();
  TimeBudget(const TimeBudget&) = delete;
  TimeBudget& operator=(const TimeBudget&) = delete;

 private:
  static void on_eval(VipsImage* image, VipsProgress* progress, void* deadline);
  VipsImage* image_;
  gulong handler_ = 0;
};

// Converts to 8-bit sRGB (or 8-bit grey for grey inputs), keeping alpha.
vips::VImage to_display(const vips::VImage& image);
vips::VImage flatten_onto_white(const vips::VImage& image);

struct EncodeOptions {
  Format format = Format::kJpeg;
  int quality = 85;
  bool keep_metadata = false;
  bool progressive = false;  // JPEG only
};
// Encodes `image`; the time budget must already be attached to it.
Bytes encode(const vips::VImage& image, const EncodeOptions& options);

// Takes libvips's error text and clears its buffer.
std::string take_vips_error(const vips::VError& error);

}  // namespace lumen::image::detail
