// decode_png against libvips's own PNG loader (libpng) on the same files: every filter, colour
// type and odd size, plus the files it must leave to libvips and the ones it must refuse.
#include <gtest/gtest.h>
#include <libdeflate.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "image/png_decoder.hpp"
#include "lumen/image/image_optimizer.hpp"
#include "lumen/image/vips_runtime.hpp"
#include "test_images.hpp"

namespace lumen::image::detail {
namespace {

using namespace lumen::image::testing;  // NOLINT
using vips::VImage;

struct Chunk {
  std::string type;
  Bytes data;
};

void append_be32(Bytes& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

Bytes assemble(const std::vector<Chunk>& chunks) {
  Bytes out = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  for (const Chunk& c : chunks) {
    append_be32(out, static_cast<std::uint32_t>(c.data.size()));
    const std::size_t type_at = out.size();
    out.insert(out.end(), c.type.begin(), c.type.end());
    out.insert(out.end(), c.data.begin(), c.data.end());
    append_be32(out, libdeflate_crc32(0, &out[type_at], c.data.size() + 4));
  }
  return out;
}

Chunk ihdr(std::uint32_t width, std::uint32_t height, int depth, int colour, int interlace = 0) {
  Bytes d;
  append_be32(d, width);
  append_be32(d, height);
  d.push_back(static_cast<std::uint8_t>(depth));
  d.push_back(static_cast<std::uint8_t>(colour));
  d.push_back(0);
  d.push_back(0);
  d.push_back(static_cast<std::uint8_t>(interlace));
  return {"IHDR", d};
}

Bytes zlib(const Bytes& raw) {
  libdeflate_compressor* c = libdeflate_alloc_compressor(6);
  Bytes out(libdeflate_zlib_compress_bound(c, raw.size()));
  out.resize(libdeflate_zlib_compress(c, raw.data(), raw.size(), out.data(), out.size()));
  libdeflate_free_compressor(c);
  return out;
}

int bands_of(int colour) {
  return colour == 0 ? 1 : colour == 4 ? 2 : colour == 2 ? 3 : 4;
}

// Random filtered rows: any bytes are a valid filtered stream, so every filter runs on noise.
Bytes random_rows(int width, int height, int bands, std::mt19937& rng, bool random_filters) {
  Bytes raw;
  for (int y = 0; y < height; ++y) {
    raw.push_back(
        static_cast<std::uint8_t>(random_filters ? rng() % 5 : static_cast<unsigned>(y) % 5));
    for (int i = 0; i < width * bands; ++i) raw.push_back(static_cast<std::uint8_t>(rng()));
  }
  return raw;
}

Bytes image_png(int width, int height, int colour, const Bytes& rows,
                std::vector<Chunk> extra = {}) {
  std::vector<Chunk> chunks = {
      ihdr(static_cast<std::uint32_t>(width), static_cast<std::uint32_t>(height), 8, colour)};
  chunks.insert(chunks.end(), extra.begin(), extra.end());
  // Split the stream over several IDAT chunks, as encoders do.
  const Bytes z = zlib(rows);
  for (std::size_t at = 0; at < z.size(); at += 97) {
    chunks.push_back(
        {"IDAT", Bytes(z.begin() + static_cast<std::ptrdiff_t>(at),
                       z.begin() + static_cast<std::ptrdiff_t>(std::min(z.size(), at + 97)))});
  }
  chunks.push_back({"IEND", {}});
  return assemble(chunks);
}

class PngDecoder : public ::testing::Test {
 protected:
  void SetUp() override { ensure_libvips_started(); }
};

void expect_same_as_libvips(const Bytes& file) {
  const PngDecode d = decode_png(file, 1u << 30);
  ASSERT_EQ(d.status, PngDecode::kDecoded) << d.error;
  const VImage ref = decode(file).copy_memory();
  ASSERT_EQ(ref.width(), d.pixels.width);
  ASSERT_EQ(ref.height(), d.pixels.height);
  ASSERT_EQ(ref.bands(), d.pixels.bands);
  ASSERT_EQ(ref.format(), VIPS_FORMAT_UCHAR);
  const std::size_t n = static_cast<std::size_t>(ref.width()) *
                        static_cast<std::size_t>(ref.height()) *
                        static_cast<std::size_t>(ref.bands());
  EXPECT_EQ(std::memcmp(ref.data(), d.pixels.data.get(), n), 0);
}

TEST_F(PngDecoder, EveryFilterColourTypeAndSizeDecodesAsLibpngDoes) {
  std::mt19937 rng(7);
  for (const int colour : {0, 4, 2, 6}) {
    for (const int width : {1, 2, 3, 17, 64}) {
      for (const bool random_filters : {false, true}) {
        SCOPED_TRACE("colour type " + std::to_string(colour) + ", width " + std::to_string(width));
        const int height = 11;
        expect_same_as_libvips(
            image_png(width, height, colour,
                      random_rows(width, height, bands_of(colour), rng, random_filters)));
      }
    }
  }
}

TEST_F(PngDecoder, AFileLibvipsWroteDecodesAsLibpngDoes) {
  expect_same_as_libvips(png(noise(301, 207)));
  expect_same_as_libvips(png(text_page(500, 120)));
}

Chunk iccp_of(const Bytes& profile) {
  Bytes data = {'t', 'e', 's', 't', 0, 0};
  const Bytes z = zlib(profile);
  data.insert(data.end(), z.begin(), z.end());
  return {"iCCP", data};
}

TEST_F(PngDecoder, KeepsTheColourProfileAndTheResolution) {
  const Bytes profile = to_bytes(VImage::profile_load("srgb"));
  ASSERT_GT(profile.size(), 132u);
  Bytes phys;
  append_be32(phys, 3780);  // 96 dpi
  append_be32(phys, 3780);
  phys.push_back(1);
  std::mt19937 rng(1);
  const Bytes file =
      image_png(8, 8, 2, random_rows(8, 8, 3, rng, true), {{"pHYs", phys}, iccp_of(profile)});

  const PngDecode d = decode_png(file, 1u << 30);
  ASSERT_EQ(d.status, PngDecode::kDecoded) << d.error;
  EXPECT_EQ(d.pixels.icc_profile, profile);
  EXPECT_DOUBLE_EQ(d.pixels.pixels_per_metre, 3780.0);
  // libvips's loader reads the same profile and resolution.
  const VImage ref = decode(file);
  std::size_t length = 0;
  const void* ref_profile = ref.get_blob(VIPS_META_ICC_NAME, &length);
  ASSERT_EQ(length, profile.size());
  EXPECT_EQ(std::memcmp(ref_profile, profile.data(), length), 0);
  EXPECT_NEAR(ref.xres() * 1000.0, 3780.0, 0.01);
}

TEST_F(PngDecoder, LeavesAProfileLibpngWouldDropToLibvips) {
  std::mt19937 rng(2);
  const Bytes rows = random_rows(8, 8, 3, rng, true);
  Bytes junk(3000);
  for (std::size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<std::uint8_t>(i * 7);
  EXPECT_EQ(decode_png(image_png(8, 8, 2, rows, {iccp_of(junk)}), 1u << 30).status,
            PngDecode::kUnsupported);
  // A valid RGB profile on a grey image names the wrong colour space.
  const Bytes rgb_profile = to_bytes(VImage::profile_load("srgb"));
  const Bytes grey_rows = random_rows(8, 8, 1, rng, true);
  EXPECT_EQ(decode_png(image_png(8, 8, 0, grey_rows, {iccp_of(rgb_profile)}), 1u << 30).status,
            PngDecode::kUnsupported);
}

TEST_F(PngDecoder, LeavesPalettesSixteenBitsInterlacingAndColourKeysToLibvips) {
  const VImage rgb = gradient(40, 30);
  const Bytes palette = to_bytes(rgb.pngsave_buffer(VImage::option()->set("palette", true)));
  const Bytes deep =
      to_bytes((rgb.cast(VIPS_FORMAT_USHORT) * 256)
                   .cast(VIPS_FORMAT_USHORT)
                   .copy(VImage::option()->set("interpretation", VIPS_INTERPRETATION_RGB16))
                   .pngsave_buffer());
  const Bytes interlaced = to_bytes(rgb.pngsave_buffer(VImage::option()->set("interlace", true)));
  std::mt19937 rng(3);
  const Bytes keyed =
      image_png(4, 4, 2, random_rows(4, 4, 3, rng, true), {{"tRNS", {0, 1, 0, 2, 0, 3}}});
  for (const Bytes* file : {&palette, &deep, &interlaced, &keyed}) {
    const PngDecode d = decode_png(*file, 1u << 30);
    EXPECT_EQ(d.status, PngDecode::kUnsupported) << d.error;
  }
  // Over the pixel limit it is libvips's case too (the optimizer's probe refuses it first).
  EXPECT_EQ(decode_png(png(gradient(100, 100)), 9'999).status, PngDecode::kUnsupported);
}

TEST_F(PngDecoder, EveryTruncationAndEveryFlippedByteIsCorrupt) {
  const Bytes file = png(noise(20, 10));
  ASSERT_EQ(decode_png(file, 1u << 30).status, PngDecode::kDecoded);
  for (std::size_t n = 0; n < file.size(); ++n) {
    const Bytes cut(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_EQ(decode_png(cut, 1u << 30).status, PngDecode::kCorrupt) << "cut at " << n;
  }
  // Every byte is covered by the signature or a CRC.
  for (std::size_t i = 0; i < file.size(); ++i) {
    Bytes bad = file;
    bad[i] ^= 0x10;
    EXPECT_EQ(decode_png(bad, 1u << 30).status, PngDecode::kCorrupt) << "byte " << i;
  }
}

TEST_F(PngDecoder, RefusesBadDataBehindValidCrcs) {
  std::mt19937 rng(5);
  Bytes rows = random_rows(6, 4, 3, rng, true);
  auto error_of = [](const Bytes& file) {
    const PngDecode d = decode_png(file, 1u << 30);
    EXPECT_EQ(d.status, PngDecode::kCorrupt);
    return d.error;
  };
  Bytes bad_filter = rows;
  bad_filter[0] = 5;
  EXPECT_NE(error_of(image_png(6, 4, 2, bad_filter)).find("filter"), std::string::npos);
  const Bytes short_rows(rows.begin(), rows.end() - 3);
  EXPECT_NE(error_of(image_png(6, 4, 2, short_rows)).find("truncated image data"),
            std::string::npos);
  Bytes long_rows = rows;
  long_rows.push_back(0);
  EXPECT_NE(error_of(image_png(6, 4, 2, long_rows)).find("more image data"), std::string::npos);
  const Bytes not_zlib = assemble({ihdr(6, 4, 8, 2), {"IDAT", {1, 2, 3, 4, 5}}, {"IEND", {}}});
  EXPECT_NE(error_of(not_zlib).find("inflate"), std::string::npos);
  const Bytes z = zlib(rows);
  const Bytes split = assemble({ihdr(6, 4, 8, 2),
                                {"IDAT", Bytes(z.begin(), z.begin() + 5)},
                                {"tEXt", {'a', 0, 'b'}},
                                {"IDAT", Bytes(z.begin() + 5, z.end())},
                                {"IEND", {}}});
  EXPECT_NE(error_of(split).find("consecutive"), std::string::npos);
  const Bytes no_end = assemble({ihdr(6, 4, 8, 2), {"IDAT", z}});
  EXPECT_NE(error_of(no_end).find("IEND"), std::string::npos);
  const Bytes header_late =
      assemble({{"tEXt", {'a', 0, 'b'}}, ihdr(6, 4, 8, 2), {"IDAT", z}, {"IEND", {}}});
  EXPECT_NE(error_of(header_late).find("IHDR"), std::string::npos);
  const Bytes zero_width = assemble({ihdr(0, 4, 8, 2), {"IDAT", z}, {"IEND", {}}});
  EXPECT_NE(error_of(zero_width).find("dimensions"), std::string::npos);
  EXPECT_NE(error_of(Bytes{'n', 'o', 't', ' ', 'p', 'n', 'g', '!', '!'}).find("signature"),
            std::string::npos);
}

TEST_F(PngDecoder, TheOptimizerGivesTheSamePicturesThroughEitherDecoder) {
  // preserve_metadata sends the PNG through libvips's loader; the default through decode_png.
  const VImage rgba = noise(700, 500)
                          .bandjoin(gradient(700, 500)[0])
                          .copy(VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB));
  const Bytes input = png(rgba);
  ImageOptimizer optimizer;
  for (const Format format : {Format::kJpeg, Format::kPng}) {
    auto fast = optimizer.optimize_for_analysis(
        input, {.max_width = 300, .max_height = 300, .format = format});
    auto libvips = optimizer.optimize_for_analysis(
        input, {.max_width = 300, .max_height = 300, .format = format, .preserve_metadata = true});
    ASSERT_TRUE(fast) << fast.error().message;
    ASSERT_TRUE(libvips) << libvips.error().message;
    EXPECT_EQ(fast.value().width, libvips.value().width);
    EXPECT_EQ(fast.value().height, libvips.value().height);
    const VImage a = decode(fast.value().bytes);
    const VImage b = decode(libvips.value().bytes);
    ASSERT_EQ(a.bands(), b.bands());
    EXPECT_EQ((a - b).abs().max(), 0.0);
  }
}

}  // namespace
}  // namespace lumen::image::detail
