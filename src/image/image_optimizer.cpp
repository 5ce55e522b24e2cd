#include "lumen/image/image_optimizer.hpp"

#include <algorithm>
#include <chrono>
#include <new>
#include <optional>

#include "lumen/image/memory_budget.hpp"
#include "lumen/image/vips_runtime.hpp"
#include "lumen/metrics/meter.hpp"
#include "lumen/trace/tracer.hpp"
#include "png_decoder.hpp"
#include "vips_support.hpp"

namespace lumen::image {

using vips::VImage;

struct ImageOptimizer::Instruments {
  explicit Instruments(metrics::Meter& meter)
      : bytes_in(meter.create_counter<std::int64_t>(
            "image.input.size",
            {.description = "Bytes of images given to the optimizer", .unit = "By"})),
        bytes_out(meter.create_counter<std::int64_t>(
            "image.output.size",
            {.description = "Bytes of images the optimizer returned", .unit = "By"})),
        errors(meter.create_counter<std::int64_t>(
            "image.errors", {.description = "Images the optimizer refused or failed on"})),
        duration(meter.create_histogram(
            "image.optimize.duration", {.description = "Time to process one image", .unit = "s"})) {
  }
  metrics::Counter<std::int64_t> bytes_in;
  metrics::Counter<std::int64_t> bytes_out;
  metrics::Counter<std::int64_t> errors;
  metrics::Histogram duration;
};

namespace {

// Span and metrics for one call; the span attributes are the original design's names.
class Observation {
 public:
  Observation(const trace::Tracer* tracer, std::string_view span_name, std::string_view operation,
              std::size_t input_size, std::string_view target_format)
      : operation_(operation), input_size_(input_size), start_(std::chrono::steady_clock::now()) {
    if (tracer != nullptr) {
      span_ = tracer->start(span_name);
      span_.set("image.original_size", static_cast<std::int64_t>(input_size))
          .set("image.target_format", target_format);
    }
  }

  trace::Span& span() { return span_; }

  template <typename Instruments>
  void finish(const Instruments* instruments, std::size_t output_size, const ImageError* error,
              double reduction_percent) {
    const metrics::KeyValue op{"operation", operation_};
    if (instruments != nullptr) {
      instruments->bytes_in.add(static_cast<std::int64_t>(input_size_), {op});
      instruments->duration.record(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(), {op});
    }
    if (error != nullptr) {
      if (instruments != nullptr) {
        instruments->errors.add(1, {op, metrics::KeyValue{"error.kind", to_string(error->kind)}});
      }
      span_.set("image.error.kind", to_string(error->kind));
      span_.set_status(trace::StatusCode::kError, error->message);
      return;
    }
    if (instruments != nullptr)
      instruments->bytes_out.add(static_cast<std::int64_t>(output_size), {op});
    span_.set("image.optimized_size", static_cast<std::int64_t>(output_size))
        .set("image.reduction_percent", reduction_percent);
    span_.set_status(trace::StatusCode::kOk);
  }

 private:
  trace::Span span_;
  std::string_view operation_;
  std::size_t input_size_;
  std::chrono::steady_clock::time_point start_;
};

std::optional<ImageError> check(const OptimizeOptions& o) {
  if (o.max_width < 1 || o.max_height < 1) {
    return ImageError{ImageErrorKind::kInvalidOptions,
                      "max_width and max_height must be at least 1"};
  }
  if (o.quality < 1 || o.quality > 100) {
    return ImageError{ImageErrorKind::kInvalidOptions, "quality must be within 1..100"};
  }
  return std::nullopt;
}

std::optional<ImageError> check_thumbnail_size(int size) {
  if (size < 1 || size > 10'000) {
    return ImageError{ImageErrorKind::kInvalidOptions, "thumbnail size must be within 1..10000"};
  }
  return std::nullopt;
}

// Width and height as displayed, after EXIF orientation (5..8 swap them).
std::pair<int, int> upright(const ImageMetadata& m) {
  return m.orientation >= 5 ? std::pair{m.height, m.width} : std::pair{m.width, m.height};
}

// Frees the pixels of a PNG decoded by decode_png once libvips closes the image wrapping them.
void free_pixels(VipsImage* /*image*/, void* pixels) {
  delete[] static_cast<std::uint8_t*>(pixels);
}

int free_profile(void* profile, void* /*area*/) {
  g_free(profile);
  return 0;
}

// Decodes a PNG with decode_png and wraps the pixels for libvips, with the colour profile,
// resolution and orientation libvips's own loader would attach. Empty when decode_png leaves the
// file to libvips; throws like a libvips loader when the file is corrupt.
// From this factor on, libvips's resize (as thumbnail_image calls it, with a gap of 2) box-shrinks
// before the final reduce.
constexpr double kBoxShrinkFactor = 4.0;

// libvips's loaders mark what they read with access=sequential as such, and a resize of a marked
// image puts a line cache between its box shrink and its reduce. A memory image carries no mark:
// a large shrink of it then recomputes the shrunk rows for every tile its kernel overlaps
// (3x slower, measured in bench/RESULTS.md), while a small one (a reduce alone) runs faster
// without the cache, which would serialise it.
void mark_sequential(VImage& image) {
  image.set(VIPS_META_SEQUENTIAL, 1);
}

std::optional<VImage> load_png(ByteView input, const ImageMetadata& meta, double factor) {
  // decode_png holds the whole image in memory, where libvips streams it: larger images keep to
  // libvips so that memory stays low.
  constexpr std::uint64_t kLargestInMemory = 25'000'000;
  if (static_cast<std::uint64_t>(meta.width) * static_cast<std::uint64_t>(meta.height) >
      kLargestInMemory) {
    return std::nullopt;
  }
  detail::PngDecode d = detail::decode_png(
      input, static_cast<std::uint64_t>(meta.width) * static_cast<std::uint64_t>(meta.height));
  if (d.status == detail::PngDecode::kUnsupported) return std::nullopt;
  if (d.status == detail::PngDecode::kCorrupt) throw vips::VError(d.error);
  detail::PngPixels& px = d.pixels;
  const std::size_t size = static_cast<std::size_t>(px.width) *
                           static_cast<std::size_t>(px.height) * static_cast<std::size_t>(px.bands);
  VImage wrapped = VImage::new_from_memory(px.data.get(), size, px.width, px.height, px.bands,
                                           VIPS_FORMAT_UCHAR);
  g_signal_connect(wrapped.get_image(), "postclose", G_CALLBACK(free_pixels), px.data.release());
  const double per_mm = px.pixels_per_metre > 0 ? px.pixels_per_metre / 1000.0 : 1.0;
  VImage image = wrapped.copy(VImage::option()
                                  ->set("interpretation", px.bands <= 2 ? VIPS_INTERPRETATION_B_W
                                                                        : VIPS_INTERPRETATION_sRGB)
                                  ->set("xres", per_mm)
                                  ->set("yres", per_mm));
  if (!px.icc_profile.empty()) {
    void* profile = g_memdup2(px.icc_profile.data(), px.icc_profile.size());
    image.set(VIPS_META_ICC_NAME, &free_profile, profile, px.icc_profile.size());
  }
  if (meta.orientation != 1) image.set(VIPS_META_ORIENTATION, meta.orientation);
  if (factor >= kBoxShrinkFactor) mark_sequential(image);
  return image;
}

// Decodes with shrink-on-load: JPEG and WebP decode directly at 1/2, 1/4 or 1/8 scale. Like
// vips_thumbnail, it keeps at least a factor of two for the final resize, which keeps the result
// sharp. `factor` is how many times smaller the result will be (1: not smaller).
//
// We load the image ourselves and then call thumbnail_image, rather than thumbnail_buffer: with
// libvips 8.14 thumbnail_buffer finishes a truncated JPEG with grey tiles and reports success;
// our own loader with fail_on=warning makes the pipeline fail.
//
// PNGs go through decode_png (faster than libpng, see png_decoder.hpp) unless the caller keeps
// metadata, which only libvips's loader reads in full.
VImage load(ByteView input, const ImageMetadata& meta, double factor, bool keep_metadata) {
  if (meta.format == "png" && !keep_metadata) {
    if (std::optional<VImage> image = load_png(input, meta, factor)) return *image;
  }
  int shrink = 1;
  if (factor >= 16) {
    shrink = 8;
  } else if (factor >= 8) {
    shrink = 4;
  } else if (factor >= 4) {
    shrink = 2;
  }
  vips::VOption* options =
      VImage::option()->set("access", VIPS_ACCESS_SEQUENTIAL)->set("fail_on", VIPS_FAIL_ON_WARNING);
  if (shrink > 1 && meta.format == "jpeg") options->set("shrink", shrink);
  // libwebp decodes straight to any scale with proper resampling (it is not a block shrink, so
  // no factor needs to be left for the final resize).
  if (meta.format == "webp" && factor > 1) options->set("scale", 1.0 / factor);
  return VImage::new_from_buffer(input.data(), input.size(), "", options);
}

// Fits inside max_width x max_height, never enlarged, orientation applied.
VImage load_fitting(ByteView input, const ImageMetadata& meta, int max_width, int max_height,
                    bool keep_metadata) {
  const auto [w, h] = upright(meta);
  const double factor =
      std::max(static_cast<double>(w) / max_width, static_cast<double>(h) / max_height);
  return load(input, meta, factor, keep_metadata)
      .thumbnail_image(max_width,
                       VImage::option()->set("height", max_height)->set("size", VIPS_SIZE_DOWN));
}

// Exactly size x size: scaled to cover, centre crop, enlarged when smaller.
VImage load_cover(ByteView input, const ImageMetadata& meta, int size) {
  const double factor = static_cast<double>(std::min(meta.width, meta.height)) / size;
  return load(input, meta, factor, false)
      .thumbnail_image(size, VImage::option()
                                 ->set("height", size)
                                 ->set("crop", VIPS_INTERESTING_CENTRE)
                                 ->set("size", VIPS_SIZE_BOTH));
}

Thumbnail encode_thumbnail(const VImage& image, int quality, detail::Deadline& deadline) {
  const VImage out = detail::flatten_onto_white(detail::to_display(image));
  detail::TimeBudget budget(out, deadline);
  Thumbnail t;
  // Baseline: on a 256-pixel thumbnail progressive scans cost more bytes than they save.
  t.bytes = detail::encode(out, {.format = Format::kJpeg, .quality = quality});
  t.width = out.width();
  t.height = out.height();
  return t;
}

std::string megabytes(std::uint64_t bytes) {
  return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MB";
}

// Reserves the decoded image's bytes in the memory budget, if there is one, for the caller's scope.
std::optional<ImageError> admit(const ImageMetadata& meta, const OptimizerOptions& limits,
                                std::optional<MemoryBudget::Reservation>& reservation) {
  if (limits.memory_budget == nullptr) return std::nullopt;
  const std::uint64_t bytes = decoded_bytes(meta);
  reservation.emplace(limits.memory_budget->try_reserve(bytes));
  const std::string needs = "the " + meta.format + " image decodes to " + megabytes(bytes);
  const std::string capacity = megabytes(limits.memory_budget->capacity_bytes());
  switch (reservation->admission()) {
    case Admission::kAdmitted:
      return std::nullopt;
    case Admission::kFull:
      return ImageError{ImageErrorKind::kBusy, needs + " and the image memory budget (" + capacity +
                                                   ") is in use by other images; retry later"};
    case Admission::kLargerThanBudget:
      return ImageError{ImageErrorKind::kTooLarge,
                        needs + ", more than the whole image memory budget of " + capacity};
  }
  return std::nullopt;
}

ImageError failure(const detail::Deadline& deadline, std::string_view what,
                   const std::string& message) {
  if (deadline.expired.load(std::memory_order_relaxed)) {
    return {ImageErrorKind::kTimeout, std::string(what) + " ran past its time budget"};
  }
  return {ImageErrorKind::kCorrupt, std::string(what) + " failed: " + message};
}

}  // namespace

ImageOptimizer::ImageOptimizer(OptimizerOptions options) : options_(options) {
  ensure_libvips_started();
  if (options_.meter != nullptr) instruments_ = std::make_unique<Instruments>(*options_.meter);
}

ImageOptimizer::~ImageOptimizer() = default;

ImageResult<ImageMetadata> ImageOptimizer::read_metadata(ByteView input) const {
  return detail::probe(input, options_);
}

namespace {

// The shared core of optimize_for_analysis and process: one decode, shrunk on load to fit.
// With `thumbnail_size` > 0 the decoded pixels are kept in memory and the thumbnail is cut
// from them.
ImageResult<ProcessedImage> run(ByteView input, const OptimizeOptions& o,
                                const OptimizerOptions& limits, int thumbnail_size) {
  auto meta = detail::probe(input, limits);
  if (!meta) return meta.error();
  std::optional<MemoryBudget::Reservation> reservation;
  if (auto refused = admit(meta.value(), limits, reservation)) return *refused;
  detail::Deadline deadline{.at = std::chrono::steady_clock::now() + limits.time_budget};
  ProcessedImage result;
  OptimizedImage& opt = result.optimized;
  opt.original = meta.value();
  opt.format = o.format;
  try {
    VImage base = detail::to_display(
        load_fitting(input, opt.original, o.max_width, o.max_height, o.preserve_metadata));
    if (thumbnail_size > 0) {
      detail::TimeBudget budget(base, deadline);
      base = base.copy_memory();
      mark_sequential(base);  // the thumbnail is a large shrink of these pixels
    }
    const VImage out = o.format == Format::kJpeg ? detail::flatten_onto_white(base) : base;
    {
      detail::TimeBudget budget(out, deadline);
      opt.bytes = detail::encode(out, {.format = o.format,
                                       .quality = o.quality,
                                       .keep_metadata = o.preserve_metadata,
                                       .progressive = o.progressive});
    }
    opt.width = out.width();
    opt.height = out.height();

    const auto [w, h] = upright(opt.original);
    const bool format_ok = opt.original.format == to_string(o.format) || o.keep_smaller_original;
    const bool already_fits =
        format_ok && w <= o.max_width && h <= o.max_height && opt.original.pages == 1;
    if (opt.bytes.size() >= input.size() && already_fits) {
      opt.bytes.assign(input.begin(), input.end());
      opt.is_original = true;
      opt.width = w;
      opt.height = h;
    }
    const double saved =
        100.0 * (static_cast<double>(input.size()) - static_cast<double>(opt.bytes.size())) /
        static_cast<double>(input.size());
    opt.reduction_percent = std::max(0.0, saved);

    if (thumbnail_size > 0) {
      // Cutting the thumbnail from the shrunk pixels is exact unless they are smaller than the
      // thumbnail; then decode again rather than enlarge.
      const bool shrunk = base.width() != w || base.height() != h;
      if (!shrunk || std::min(base.width(), base.height()) >= thumbnail_size) {
        const VImage t =
            base.thumbnail_image(thumbnail_size, VImage::option()
                                                     ->set("height", thumbnail_size)
                                                     ->set("crop", VIPS_INTERESTING_CENTRE)
                                                     ->set("size", VIPS_SIZE_BOTH)
                                                     ->set("no_rotate", true));
        result.thumbnail = encode_thumbnail(t, limits.thumbnail_quality, deadline);
      } else {
        result.thumbnail = encode_thumbnail(load_cover(input, opt.original, thumbnail_size),
                                            limits.thumbnail_quality, deadline);
      }
    }
  } catch (const vips::VError& e) {
    return failure(deadline, "decoding or encoding the " + opt.original.format + " image",
                   detail::take_vips_error(e));
  } catch (const std::bad_alloc&) {
    return ImageError{ImageErrorKind::kInternal, "out of memory while processing the image"};
  }
  return result;
}

}  // namespace

ImageResult<OptimizedImage> ImageOptimizer::optimize_for_analysis(
    ByteView input, const OptimizeOptions& options) const {
  Observation obs(options_.tracer, "image.optimize", "optimize", input.size(),
                  to_string(options.format));
  ImageResult<OptimizedImage> r = [&]() -> ImageResult<OptimizedImage> {
    if (auto bad = check(options)) return *bad;
    auto processed = run(input, options, options_, 0);
    if (!processed) return processed.error();
    return std::move(processed.value().optimized);
  }();
  if (r) {
    obs.finish(instruments_.get(), r.value().bytes.size(), nullptr, r.value().reduction_percent);
  } else {
    obs.finish(instruments_.get(), 0, &r.error(), 0.0);
  }
  return r;
}

ImageResult<ProcessedImage> ImageOptimizer::process(ByteView input, const OptimizeOptions& options,
                                                    int thumbnail_size) const {
  Observation obs(options_.tracer, "image.optimize", "process", input.size(),
                  to_string(options.format));
  ImageResult<ProcessedImage> r = [&]() -> ImageResult<ProcessedImage> {
    if (auto bad = check(options)) return *bad;
    if (auto bad = check_thumbnail_size(thumbnail_size)) return *bad;
    return run(input, options, options_, thumbnail_size);
  }();
  if (r) {
    obs.span().set("image.thumbnail.size",
                   static_cast<std::int64_t>(r.value().thumbnail.bytes.size()));
    obs.finish(instruments_.get(),
               r.value().optimized.bytes.size() + r.value().thumbnail.bytes.size(), nullptr,
               r.value().optimized.reduction_percent);
  } else {
    obs.finish(instruments_.get(), 0, &r.error(), 0.0);
  }
  return r;
}

ImageResult<Thumbnail> ImageOptimizer::generate_thumbnail(ByteView input, int size) const {
  Observation obs(options_.tracer, "image.thumbnail", "thumbnail", input.size(), "jpeg");
  ImageResult<Thumbnail> r = [&]() -> ImageResult<Thumbnail> {
    if (auto bad = check_thumbnail_size(size)) return *bad;
    auto meta = detail::probe(input, options_);
    if (!meta) return meta.error();
    std::optional<MemoryBudget::Reservation> reservation;
    if (auto refused = admit(meta.value(), options_, reservation)) return *refused;
    detail::Deadline deadline{.at = std::chrono::steady_clock::now() + options_.time_budget};
    try {
      return encode_thumbnail(load_cover(input, meta.value(), size), options_.thumbnail_quality,
                              deadline);
    } catch (const vips::VError& e) {
      return failure(deadline, "making a thumbnail of the " + meta.value().format + " image",
                     detail::take_vips_error(e));
    } catch (const std::bad_alloc&) {
      return ImageError{ImageErrorKind::kInternal, "out of memory while making a thumbnail"};
    }
  }();
  if (r) {
    const double saved = 100.0 * (1.0 - static_cast<double>(r.value().bytes.size()) /
                                            static_cast<double>(input.size()));
    obs.finish(instruments_.get(), r.value().bytes.size(), nullptr, std::max(0.0, saved));
  } else {
    obs.finish(instruments_.get(), 0, &r.error(), 0.0);
  }
  return r;
}

}  // namespace lumen::image
