// Images made with libvips for the image tests: every test builds exactly the picture it needs.
#pragma once

#include <vips/vips8>

#include <cstdint>
#include <string>
#include <vector>

#include "lumen/image/image_optimizer.hpp"

namespace lumen::image::testing {

inline Bytes to_bytes(VipsBlob* blob) {
  std::size_t n = 0;
  const auto* p = static_cast<const std::uint8_t*>(vips_blob_get(blob, &n));
  Bytes out(p, p + n);
  vips_area_unref(reinterpret_cast<VipsArea*>(blob));
  return out;
}

// Smooth colour ramps (compress well).
inline vips::VImage gradient(int width, int height) {
  const vips::VImage xy = vips::VImage::xyz(width, height);
  const vips::VImage r = xy[0] * (255.0 / width);
  const vips::VImage g = xy[1] * (255.0 / height);
  const vips::VImage b = (xy[0] + xy[1]) * (127.0 / (width + height));
  return r.bandjoin(g)
      .bandjoin(b)
      .cast(VIPS_FORMAT_UCHAR)
      .copy(vips::VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB));
}

// Gaussian noise in three bands (compresses badly: quality shows in the size).
// Seeded: the same pixels in every run, so that comparisons of encoded sizes cannot flip from one
// run to the next (libvips draws a random seed otherwise).
inline vips::VImage noise(int width, int height) {
  auto band = [&](int seed) {
    return vips::VImage::gaussnoise(
        width, height,
        vips::VImage::option()->set("mean", 128.0)->set("sigma", 50.0)->set("seed", seed));
  };
  return band(1)
      .bandjoin(band(2))
      .bandjoin(band(3))
      .cast(VIPS_FORMAT_UCHAR)
      .copy(vips::VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB));
}

// Black strokes on white, like a scanned page of text.
inline vips::VImage text_page(int width, int height) {
  const vips::VImage xy = vips::VImage::xyz(width, height);
  const vips::VImage ink = ((xy[0] % 9) < 2) & ((xy[1] % 23) < 14);
  const vips::VImage grey = (255 - (ink > 0).ifthenelse(255, 0)).cast(VIPS_FORMAT_UCHAR);
  return grey.copy(vips::VImage::option()->set("interpretation", VIPS_INTERPRETATION_B_W));
}

// White, with the top-left quadrant black: shows where the image's corner ended up.
inline vips::VImage marked_corner(int width, int height) {
  const vips::VImage xy = vips::VImage::xyz(width, height);
  const vips::VImage corner = (xy[0] < width / 2) & (xy[1] < height / 2);
  const vips::VImage grey = corner.ifthenelse(0, 255).cast(VIPS_FORMAT_UCHAR);
  return grey.bandjoin(grey).bandjoin(grey).copy(
      vips::VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB));
}

inline Bytes jpeg(const vips::VImage& image, int quality = 90, bool strip = true) {
  return to_bytes(
      image.jpegsave_buffer(vips::VImage::option()->set("Q", quality)->set("strip", strip)));
}
inline Bytes png(const vips::VImage& image) {
  return to_bytes(image.pngsave_buffer());
}
inline Bytes webp(const vips::VImage& image, int quality = 80) {
  return to_bytes(image.webpsave_buffer(vips::VImage::option()->set("Q", quality)));
}
inline Bytes tiff(const vips::VImage& image) {
  return to_bytes(image.tiffsave_buffer());
}

inline vips::VImage decode(const Bytes& bytes) {
  return vips::VImage::new_from_buffer(bytes.data(), bytes.size(), "");
}

// The JPEG's frame type, read by walking its marker segments to the first start-of-frame:
// "baseline" (SOF0/SOF1), "progressive" (SOF2), or "" when there is none.
inline std::string jpeg_frame_type(const Bytes& j) {
  std::size_t i = 2;  // after SOI
  while (i + 4 <= j.size() && j[i] == 0xFF) {
    const unsigned marker = j[i + 1];
    if (marker == 0xC0 || marker == 0xC1) return "baseline";
    if (marker == 0xC2) return "progressive";
    i += 2 + ((static_cast<std::size_t>(j[i + 2]) << 8) | j[i + 3]);
  }
  return "";
}

// Mean of a rectangle, over all bands.
inline double mean(const vips::VImage& image, int left, int top, int width, int height) {
  return image.extract_area(left, top, width, height).avg();
}

}  // namespace lumen::image::testing
