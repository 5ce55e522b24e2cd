// decode_png, lumen's own PNG decoder, on any bytes. Never reads or writes outside its buffers,
// and what it decodes has the dimensions its header gave.
//
// Mutated bytes rarely get past the CRC of each chunk and the Adler-32 of the image data, so
// the first input byte chooses how the rest is used:
//   even: a PNG file, decoded as it is and again with every chunk's CRC made correct;
//   odd:  width, height and colour type (one byte each) and the filtered image data, which the
//         fuzzer compresses into a valid file, to reach the row filters with any filter bytes.
#include <libdeflate.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz_check.hpp"
#include "image/png_decoder.hpp"

namespace {

using Bytes = std::vector<std::uint8_t>;
namespace detail = lumen::image::detail;

// Larger images are refused by the optimizer's probe before decode_png sees them; this bound
// keeps each run fast.
constexpr std::uint64_t kMaxPixels = 1 << 20;

std::uint32_t read_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         p[3];
}

void put_be32(Bytes& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

void put_chunk(Bytes& out, const char* type, const Bytes& data) {
  put_be32(out, static_cast<std::uint32_t>(data.size()));
  const std::size_t start = out.size();
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), data.begin(), data.end());
  put_be32(out, libdeflate_crc32(0, out.data() + start, data.size() + 4));
}

// Rewrites the CRC of every complete chunk after the signature.
void fix_crcs(Bytes& png) {
  std::size_t at = 8;
  while (png.size() >= at + 12) {
    const std::uint32_t length = read_be32(&png[at]);
    if (length > png.size() - at - 12) break;
    const std::uint32_t crc = libdeflate_crc32(0, &png[at + 4], std::size_t{length} + 4);
    for (std::size_t i = 0; i < 4; ++i)
      png[at + 8 + length + i] = static_cast<std::uint8_t>(crc >> (24 - 8 * i));
    at += 12 + std::size_t{length};
  }
}

Bytes build_png(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return {};
  static constexpr std::uint8_t kColourTypes[] = {0, 2, 4, 6, 3};
  Bytes header;
  put_be32(header, data[0] % 64 + 1u);
  put_be32(header, data[1] % 64 + 1u);
  header.push_back(8);
  header.push_back(kColourTypes[data[2] % 5]);
  header.insert(header.end(), {0, 0, 0});

  libdeflate_compressor* compressor = libdeflate_alloc_compressor(1);
  FUZZ_CHECK(compressor != nullptr);
  Bytes compressed(libdeflate_zlib_compress_bound(compressor, size - 3));
  compressed.resize(libdeflate_zlib_compress(compressor, data + 3, size - 3, compressed.data(),
                                             compressed.size()));
  libdeflate_free_compressor(compressor);

  Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  put_chunk(png, "IHDR", header);
  put_chunk(png, "IDAT", compressed);
  put_chunk(png, "IEND", {});
  return png;
}

void decode(const Bytes& png) {
  const detail::PngDecode d =
      detail::decode_png(lumen::image::ByteView(png.data(), png.size()), kMaxPixels);
  if (d.status != detail::PngDecode::kDecoded) return;
  const detail::PngPixels& px = d.pixels;
  FUZZ_CHECK(px.width > 0 && px.height > 0 && px.bands >= 1 && px.bands <= 4 && px.data != nullptr);
  FUZZ_CHECK(static_cast<std::uint64_t>(px.width) * static_cast<std::uint64_t>(px.height) <=
             kMaxPixels);
  FUZZ_CHECK(read_be32(&png[16]) == static_cast<std::uint32_t>(px.width) &&
             read_be32(&png[20]) == static_cast<std::uint32_t>(px.height));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  if (data[0] % 2 == 1) {
    decode(build_png(data + 1, size - 1));
    return 0;
  }
  Bytes png(data + 1, data + size);
  decode(png);
  fix_crcs(png);
  decode(png);
  return 0;
}
