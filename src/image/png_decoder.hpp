// Internal: a PNG decoder for the common case, on libdeflate.
//
// libvips 8.14 as Debian builds it decodes PNG through libpng and zlib, which spend most of the
// corpus's PNG time inflating and unfiltering row by row (sharp bundles zlib-ng for the same
// reason). This decoder inflates the whole image data in one libdeflate call, then unfilters in
// place. It takes only what it decodes exactly as libvips's loader does: 8 bits per sample,
// non-interlaced, grey, grey+alpha, RGB or RGBA, without a tRNS colour key. Anything else
// (palettes, 16 bits, Adam7, tRNS) is reported as unsupported and left to libvips. It keeps the
// colour profile and the resolution; other metadata (text, EXIF) is libvips's job, so callers
// that must keep metadata do not use it.
//
//   PngDecode d = decode_png(bytes, max_pixels);
//   if (d.status == PngDecode::kDecoded) use(d.pixels);
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lumen/image/image_optimizer.hpp"

namespace lumen::image::detail {

struct PngPixels {
  int width = 0;
  int height = 0;
  int bands = 0;                          // 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA
  std::unique_ptr<std::uint8_t[]> data;   // width * bands bytes per row, rows top to bottom
  std::vector<std::uint8_t> icc_profile;  // from iCCP, inflated; empty when absent
  double pixels_per_metre = 0;            // from pHYs when its unit is the metre
};

struct PngDecode {
  enum Status { kDecoded, kUnsupported, kCorrupt };
  Status status = kUnsupported;
  PngPixels pixels;
  std::string error;  // why kCorrupt
};

// True when `input` starts with the PNG signature.
bool is_png(ByteView input) noexcept;

// Decodes `input`, a PNG. Images over `max_pixels` are kUnsupported (the caller's probe has
// already refused them). Never reads outside `input`; every chunk's CRC is checked.
PngDecode decode_png(ByteView input, std::uint64_t max_pixels);

}  // namespace lumen::image::detail
