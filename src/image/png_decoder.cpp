#include "png_decoder.hpp"

#include <libdeflate.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <cstdlib>
#include <cstring>
#include <string_view>

namespace lumen::image::detail {
namespace {

constexpr std::size_t kPadding = 4;
constexpr std::uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

std::uint32_t read_be32(const std::uint8_t* p) noexcept {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         p[3];
}

struct Decompressor {
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  ~Decompressor() { libdeflate_free_decompressor(d); }
  Decompressor() = default;
  Decompressor(const Decompressor&) = delete;
  Decompressor& operator=(const Decompressor&) = delete;
};

PngDecode corrupt(std::string why) {
  PngDecode d;
  d.status = PngDecode::kCorrupt;
  d.error = "corrupt PNG: " + std::move(why);
  return d;
}

PngDecode unsupported() {
  return PngDecode{};
}

int paeth(int a, int b, int c) noexcept {
  const int pa = std::abs(b - c);
  const int pb = std::abs(a - c);
  const int pc = std::abs(a + b - 2 * c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

#if defined(__SSE2__)
// Paeth for 3- and 4-byte pixels, one pixel at a time in 16-bit lanes: the left neighbour of
// each pixel is the previous result, so the work is a chain per pixel, not per byte.
// Loads 4 bytes even for 3-byte pixels: the fourth lane is ignored, and the rows are padded so
// that the load stays inside them. (A 3-byte copy into a zeroed word would stall on store
// forwarding, pixel after pixel.)
__m128i load_bytes(const std::uint8_t* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return _mm_cvtsi32_si128(static_cast<int>(v));
}

__m128i load_pixel(const std::uint8_t* p) noexcept {
  return _mm_unpacklo_epi8(load_bytes(p), _mm_setzero_si128());
}

__m128i abs_epi16(__m128i x) noexcept {
  return _mm_max_epi16(x, _mm_sub_epi16(_mm_setzero_si128(), x));
}

__m128i select(__m128i mask, __m128i yes, __m128i no) noexcept {
  return _mm_or_si128(_mm_and_si128(mask, yes), _mm_andnot_si128(mask, no));
}

template <int Bpp>
void paeth_pixels(const std::uint8_t* src, std::uint8_t* dst, const std::uint8_t* prev,
                  std::size_t n) noexcept {
  __m128i a = load_pixel(dst);
  __m128i c = load_pixel(prev);
  for (std::size_t i = Bpp; i < n; i += Bpp) {
    const __m128i b = load_pixel(prev + i);
    const __m128i db = _mm_sub_epi16(b, c);  // p - a
    const __m128i da = _mm_sub_epi16(a, c);  // p - b
    const __m128i pa = abs_epi16(db);
    const __m128i pb = abs_epi16(da);
    const __m128i pc = abs_epi16(_mm_add_epi16(db, da));
    const __m128i smallest = _mm_min_epi16(pc, _mm_min_epi16(pa, pb));
    // Ties go to a, then b, as the specification orders them.
    __m128i predicted = select(_mm_cmpeq_epi16(smallest, pb), b, c);
    predicted = select(_mm_cmpeq_epi16(smallest, pa), a, predicted);
    const __m128i out = _mm_add_epi8(_mm_packus_epi16(predicted, predicted), load_bytes(src + i));
    const auto bytes = static_cast<std::uint32_t>(_mm_cvtsi128_si32(out));
    std::memcpy(dst + i, &bytes, Bpp);
    a = _mm_unpacklo_epi8(out, _mm_setzero_si128());
    c = b;
  }
}
#endif

// Reverses one row's filter. `src` (the filtered bytes) may lie after `dst` in the same buffer:
// each byte is read before any write can reach it. `prev` is the previous row, already
// unfiltered (zeros for the first row).
template <int Bpp>
void unfilter_row(std::uint8_t filter, const std::uint8_t* src, std::uint8_t* dst,
                  const std::uint8_t* prev, std::size_t n) noexcept {
  switch (filter) {
    case 0:
      std::memmove(dst, src, n);
      break;
    case 1:
      for (std::size_t i = 0; i < Bpp; ++i) dst[i] = src[i];
      for (std::size_t i = Bpp; i < n; ++i)
        dst[i] = static_cast<std::uint8_t>(src[i] + dst[i - Bpp]);
      break;
    case 2:
      for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<std::uint8_t>(src[i] + prev[i]);
      break;
    case 3:
      for (std::size_t i = 0; i < Bpp; ++i)
        dst[i] = static_cast<std::uint8_t>(src[i] + (prev[i] >> 1));
      for (std::size_t i = Bpp; i < n; ++i) {
        dst[i] = static_cast<std::uint8_t>(src[i] + ((dst[i - Bpp] + prev[i]) >> 1));
      }
      break;
    default:  // 4, Paeth; the caller has rejected anything above 4
      for (std::size_t i = 0; i < Bpp; ++i) dst[i] = static_cast<std::uint8_t>(src[i] + prev[i]);
#if defined(__SSE2__)
      if constexpr (Bpp >= 3) {
        paeth_pixels<Bpp>(src, dst, prev, n);
        break;
      }
#endif
      for (std::size_t i = Bpp; i < n; ++i) {
        dst[i] = static_cast<std::uint8_t>(src[i] + paeth(dst[i - Bpp], prev[i], prev[i - Bpp]));
      }
      break;
  }
}

template <int Bpp>
bool unfilter(std::uint8_t* buffer, std::size_t stride, std::size_t rows,
              const std::uint8_t* zeros) noexcept {
  const std::uint8_t* prev = zeros;
  for (std::size_t y = 0; y < rows; ++y) {
    const std::uint8_t* raw = buffer + y * (stride + 1);
    if (raw[0] > 4) return false;
    std::uint8_t* out = buffer + y * stride;
    unfilter_row<Bpp>(raw[0], raw + 1, out, prev, stride);
    prev = out;
  }
  return true;
}

}  // namespace

bool is_png(ByteView input) noexcept {
  return input.size() >= sizeof kSignature &&
         std::memcmp(input.data(), kSignature, sizeof kSignature) == 0;
}

PngDecode decode_png(ByteView input, std::uint64_t max_pixels) {
  if (!is_png(input)) return corrupt("no PNG signature");
  const std::uint8_t* const begin = input.data();
  const std::size_t size = input.size();
  std::size_t at = sizeof kSignature;

  PngDecode result;
  PngPixels& px = result.pixels;
  std::vector<std::uint8_t> compressed;
  bool header_seen = false;
  bool end_seen = false;
  bool idat_done = false;  // IDAT chunks must be consecutive
  while (at < size) {
    if (size - at < 12) return corrupt("truncated chunk header");
    const std::uint32_t length = read_be32(begin + at);
    if (length > 0x7fffffffU || size - at - 12 < length) return corrupt("truncated chunk");
    const std::uint8_t* type = begin + at + 4;
    const std::uint8_t* data = type + 4;
    const std::uint32_t stored_crc = read_be32(data + length);
    if (libdeflate_crc32(0, type, length + 4) != stored_crc) {
      return corrupt("CRC mismatch in chunk " +
                     std::string(reinterpret_cast<const char*>(type), 4));
    }
    at += 12 + std::size_t{length};
    const std::string_view name(reinterpret_cast<const char*>(type), 4);
    if (!header_seen && name != "IHDR") return corrupt("the first chunk is not IHDR");

    if (name == "IHDR") {
      if (header_seen || length != 13) return corrupt("bad IHDR");
      header_seen = true;
      const std::uint32_t w = read_be32(data);
      const std::uint32_t h = read_be32(data + 4);
      if (w == 0 || h == 0 || w > 0x7fffffffU || h > 0x7fffffffU) return corrupt("bad dimensions");
      if (std::uint64_t{w} * h > max_pixels) return unsupported();
      const std::uint8_t depth = data[8];
      const std::uint8_t colour = data[9];
      if (data[10] != 0 || data[11] != 0 || data[12] > 1) return corrupt("unknown method in IHDR");
      if (depth != 8 || data[12] != 0) return unsupported();
      switch (colour) {
        case 0:
          px.bands = 1;
          break;
        case 4:
          px.bands = 2;
          break;
        case 2:
          px.bands = 3;
          break;
        case 6:
          px.bands = 4;
          break;
        default:
          return unsupported();
      }
      px.width = static_cast<int>(w);
      px.height = static_cast<int>(h);
    } else if (name == "IDAT") {
      if (idat_done) return corrupt("IDAT chunks are not consecutive");
      compressed.insert(compressed.end(), data, data + length);
    } else {
      if (!compressed.empty()) idat_done = true;
      if (name == "IEND") {
        end_seen = true;
        break;
      }
      if (name == "tRNS" || name == "PLTE") return unsupported();
      if (name == "pHYs" && length == 9 && data[8] == 1) {
        px.pixels_per_metre = static_cast<double>(read_be32(data));
      } else if (name == "iCCP") {
        // name (1-79 bytes), NUL, compression method 0, zlib stream
        const void* nul = std::memchr(data, 0, std::min<std::size_t>(length, 80));
        if (nul == nullptr) return corrupt("bad iCCP");
        const std::size_t stream =
            static_cast<std::size_t>(static_cast<const std::uint8_t*>(nul) - data) + 2;
        if (stream > length) return corrupt("bad iCCP");
        // Profiles are rarely over 64 KB; the buffer grows to at most 4 MB.
        std::vector<std::uint8_t> icc(std::size_t{64} << 10);
        std::size_t got = 0;
        Decompressor z;
        if (z.d == nullptr) throw std::bad_alloc();
        for (;;) {
          const libdeflate_result r = libdeflate_zlib_decompress(
              z.d, data + stream, length - stream, icc.data(), icc.size(), &got);
          if (r == LIBDEFLATE_SUCCESS) break;
          if (r != LIBDEFLATE_INSUFFICIENT_SPACE || icc.size() >= (std::size_t{4} << 20)) {
            return corrupt("the iCCP profile does not inflate");
          }
          icc.resize(icc.size() * 2);
        }
        icc.resize(got);
        // libpng drops a profile whose header is wrong or names another colour space; leave
        // such files to it rather than guess.
        const bool grey = px.bands <= 2;
        if (icc.size() < 132 || read_be32(icc.data()) != icc.size() ||
            std::memcmp(&icc[36], "acsp", 4) != 0 ||
            std::memcmp(&icc[16], grey ? "GRAY" : "RGB ", 4) != 0) {
          return unsupported();
        }
        px.icc_profile = std::move(icc);
      } else if ((type[0] & 0x20) == 0) {
        return unsupported();  // a critical chunk we do not know
      }
    }
  }
  if (!header_seen) return corrupt("no IHDR");
  if (!end_seen) return corrupt("truncated: no IEND");
  if (compressed.empty()) return corrupt("no image data");

  const std::size_t stride =
      static_cast<std::size_t>(px.width) * static_cast<std::size_t>(px.bands);
  const std::size_t rows = static_cast<std::size_t>(px.height);
  const std::size_t filtered_size = rows * (stride + 1);
  // 4 bytes of padding: the Paeth loop loads whole words at the end of a row.
  px.data.reset(new std::uint8_t[filtered_size + kPadding]);
  std::memset(px.data.get() + filtered_size, 0, kPadding);
  Decompressor z;
  if (z.d == nullptr) throw std::bad_alloc();
  std::size_t got = 0;
  const libdeflate_result r = libdeflate_zlib_decompress(z.d, compressed.data(), compressed.size(),
                                                         px.data.get(), filtered_size, &got);
  if (r == LIBDEFLATE_INSUFFICIENT_SPACE)
    return corrupt("more image data than the dimensions allow");
  if (r != LIBDEFLATE_SUCCESS) return corrupt("the image data does not inflate");
  if (got != filtered_size) return corrupt("truncated image data");

  const std::vector<std::uint8_t> zeros(stride + kPadding, 0);
  bool ok = false;
  switch (px.bands) {
    case 1:
      ok = unfilter<1>(px.data.get(), stride, rows, zeros.data());
      break;
    case 2:
      ok = unfilter<2>(px.data.get(), stride, rows, zeros.data());
      break;
    case 3:
      ok = unfilter<3>(px.data.get(), stride, rows, zeros.data());
      break;
    default:
      ok = unfilter<4>(px.data.get(), stride, rows, zeros.data());
      break;
  }
  if (!ok) return corrupt("unknown row filter");
  result.status = PngDecode::kDecoded;
  return result;
}

}  // namespace lumen::image::detail
