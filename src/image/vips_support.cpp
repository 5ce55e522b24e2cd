#include "vips_support.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

namespace lumen::image::detail {
namespace {

// Loaders we decode. Others that libvips has (ImageMagick, SVG, PDF, FITS, ...) parse far more
// complex input than an upload needs and are refused as unsupported.
struct KnownLoader {
  std::string_view key;  // lower-case fragment of the loader's name
  std::string_view format;
  bool supported;
};
constexpr std::array kLoaders{
    KnownLoader{"magick", "magick", false}, KnownLoader{"svg", "svg", false},
    KnownLoader{"pdf", "pdf", false},       KnownLoader{"jpeg", "jpeg", true},
    KnownLoader{"png", "png", true},        KnownLoader{"webp", "webp", true},
    KnownLoader{"gif", "gif", true},        KnownLoader{"tiff", "tiff", true},
    KnownLoader{"heif", "heif", true},
};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  return out;
}

int bits_of(VipsBandFormat format) {
  switch (format) {
    case VIPS_FORMAT_UCHAR:
    case VIPS_FORMAT_CHAR:
      return 8;
    case VIPS_FORMAT_USHORT:
    case VIPS_FORMAT_SHORT:
      return 16;
    case VIPS_FORMAT_DOUBLE:
    case VIPS_FORMAT_DPCOMPLEX:
      return 64;
    default:
      return 32;
  }
}

// Signatures of image formats that only ImageMagick reads here.
bool has_image_signature(ByteView in) {
  auto starts = [&](std::string_view magic) {
    return in.size() >= magic.size() &&
           std::equal(magic.begin(), magic.end(), in.begin(),
                      [](char c, std::uint8_t b) { return static_cast<std::uint8_t>(c) == b; });
  };
  using namespace std::string_view_literals;
  return starts("BM"sv) || starts("8BPS"sv) || starts("\0\0\1\0"sv) || starts("\0\0\2\0"sv) ||
         starts("DDS "sv) || starts("qoif"sv) || starts("\x76\x2f\x31\x01"sv) ||
         starts("gimp xcf"sv) || starts("P7"sv) || starts("#?RADIANCE"sv);
}

ImageError error(ImageErrorKind kind, std::string message) {
  return {kind, std::move(message)};
}

}  // namespace

std::string take_vips_error(const vips::VError& e) {
  std::string text = e.what();
  vips_error_clear();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  std::replace(text.begin(), text.end(), '\n', ';');
  return text;
}

ImageResult<ImageMetadata> probe(ByteView input, const OptimizerOptions& options) {
  if (input.empty()) return error(ImageErrorKind::kEmpty, "the input is empty (0 bytes)");
  if (input.size() > options.max_input_bytes) {
    return error(ImageErrorKind::kTooLarge, "the input has " + std::to_string(input.size()) +
                                                " bytes, more than the limit of " +
                                                std::to_string(options.max_input_bytes));
  }
  const char* loader = vips_foreign_find_load_buffer(input.data(), input.size());
  if (loader == nullptr) {
    vips_error_clear();
    return error(ImageErrorKind::kNotAnImage, "no image format recognised in the input (" +
                                                  std::to_string(input.size()) + " bytes)");
  }
  const std::string name = lower(loader);
  const auto known = std::find_if(kLoaders.begin(), kLoaders.end(), [&](const KnownLoader& k) {
    return name.find(k.key) != std::string::npos;
  });
  if (name.find("magick") != std::string::npos && !has_image_signature(input)) {
    // ImageMagick claims almost any bytes (text, zeros); without a known signature it is no image.
    return error(ImageErrorKind::kNotAnImage, "no image format recognised in the input (" +
                                                  std::to_string(input.size()) + " bytes)");
  }
  if (known == kLoaders.end() || !known->supported) {
    return error(ImageErrorKind::kUnsupportedFormat,
                 "unsupported image format (libvips loader " + std::string(loader) +
                     "); accepted: jpeg, png, webp, gif, tiff, heif");
  }
  const std::string format(known->format);

  vips::VImage header;
  try {
    // Sequential access: libvips reads the header now and would decode pixels only on demand.
    header = vips::VImage::new_from_buffer(input.data(), input.size(), "",
                                           vips::VImage::option()
                                               ->set("access", VIPS_ACCESS_SEQUENTIAL)
                                               ->set("fail_on", VIPS_FAIL_ON_WARNING));
  } catch (const vips::VError& e) {
    return error(ImageErrorKind::kCorrupt,
                 "cannot read the " + format + " header: " + take_vips_error(e));
  }

  ImageMetadata meta;
  meta.width = header.width();
  meta.height = header.height();
  meta.format = format;
  meta.size = input.size();
  meta.has_alpha = header.has_alpha();
  meta.pages = std::max(1, vips_image_get_n_pages(header.get_image()));
  meta.orientation = std::clamp(vips_image_get_orientation(header.get_image()), 1, 8);
  // libvips reports 1 pixel/mm when the file states no resolution.
  if (header.xres() > 1.0) meta.density = header.xres() * 25.4;
  meta.space = vips_enum_nick(VIPS_TYPE_INTERPRETATION, header.interpretation());
  meta.bits_per_sample = bits_of(header.format());
  meta.bands = header.bands();

  const auto pixels =
      static_cast<std::uint64_t>(meta.width) * static_cast<std::uint64_t>(meta.height);
  if (meta.width <= 0 || meta.height <= 0) {
    return error(ImageErrorKind::kCorrupt, "the " + format + " header declares an empty image");
  }
  if (pixels > options.max_pixels) {
    return error(ImageErrorKind::kTooLarge,
                 "the " + format + " header declares " + std::to_string(meta.width) + "x" +
                     std::to_string(meta.height) + " pixels, more than the limit of " +
                     std::to_string(options.max_pixels) + " (a decompression bomb?)");
  }
  return meta;
}

TimeBudget::TimeBudget(const vips::VImage& image, Deadline& deadline) : image_(image.get_image()) {
  // Our own reference: the caller may drop its handle (e.g. replace it by a copy in memory).
  g_object_ref(image_);
  vips_image_set_progress(image_, TRUE);
  handler_ =
      g_signal_connect_data(image_, "eval", reinterpret_cast<GCallback>(&TimeBudget::on_eval),
                            &deadline, nullptr, GConnectFlags{});
}

TimeBudget::~TimeBudget() {
  g_signal_handler_disconnect(image_, handler_);
  vips_image_set_progress(image_, FALSE);
  g_object_unref(image_);
}

void TimeBudget::on_eval(VipsImage* image, VipsProgress* /*progress*/, void* deadline) {
  auto* d = static_cast<Deadline*>(deadline);
  if (std::chrono::steady_clock::now() >= d->at) {
    d->expired.store(true, std::memory_order_relaxed);
    vips_image_set_kill(image, TRUE);
  }
}

vips::VImage to_display(const vips::VImage& in) {
  vips::VImage image = in;
  const VipsInterpretation space = image.interpretation();
  const bool grey = space == VIPS_INTERPRETATION_B_W || space == VIPS_INTERPRETATION_GREY16;
  const VipsInterpretation target = grey ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB;
  if (space != target || image.format() != VIPS_FORMAT_UCHAR) image = image.colourspace(target);
  if (image.format() != VIPS_FORMAT_UCHAR) image = image.cast(VIPS_FORMAT_UCHAR);
  return image;
}

vips::VImage flatten_onto_white(const vips::VImage& image) {
  if (!image.has_alpha()) return image;
  return image.flatten(vips::VImage::option()->set("background", std::vector<double>{255.0}));
}

Bytes encode(const vips::VImage& image, const EncodeOptions& o) {
  VipsBlob* blob = nullptr;
  switch (o.format) {
    case Format::kJpeg:
      blob = image.jpegsave_buffer(vips::VImage::option()
                                       ->set("Q", o.quality)
                                       ->set("optimize_coding", true)
                                       ->set("interlace", o.progressive)
                                       ->set("strip", !o.keep_metadata));
      break;
    case Format::kWebp:
      blob = image.webpsave_buffer(
          vips::VImage::option()->set("Q", o.quality)->set("strip", !o.keep_metadata));
      break;
    case Format::kPng:
      blob = image.pngsave_buffer(
          vips::VImage::option()->set("compression", 6)->set("strip", !o.keep_metadata));
      break;
  }
  std::size_t length = 0;
  const auto* data = static_cast<const std::uint8_t*>(vips_blob_get(blob, &length));
  Bytes out(data, data + length);
  vips_area_unref(reinterpret_cast<VipsArea*>(blob));
  return out;
}

}  // namespace lumen::image::detail
