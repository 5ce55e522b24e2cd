// Bad and hostile input: each case gets its own error kind, quickly, without decoding pixels that
// the limits forbid.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <string>

#include "lumen/image/image_optimizer.hpp"
#include "test_images.hpp"

namespace lumen::image {
namespace {

using namespace lumen::image::testing;  // NOLINT
using vips::VImage;

Bytes bytes_of(std::string_view text) {
  return Bytes(text.begin(), text.end());
}

std::uint32_t crc32(const std::uint8_t* p, std::size_t n) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void put_be32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

// A small real PNG whose IHDR (with a valid CRC) claims width x height.
Bytes png_claiming(std::uint32_t width, std::uint32_t height) {
  Bytes png_bytes = png(gradient(16, 16));
  // Signature (8), then IHDR: length (4), "IHDR" (4), width, height, ...; CRC over type + data.
  put_be32(&png_bytes[16], width);
  put_be32(&png_bytes[20], height);
  put_be32(&png_bytes[29], crc32(&png_bytes[12], 17));
  return png_bytes;
}

// A small real JPEG whose SOF0 claims width x height.
Bytes jpeg_claiming(std::uint16_t width, std::uint16_t height) {
  Bytes j = jpeg(gradient(16, 16));
  for (std::size_t i = 2; i + 9 < j.size(); ++i) {
    if (j[i] == 0xFF && (j[i + 1] == 0xC0 || j[i + 1] == 0xC2)) {
      // FF C0, length (2), precision (1), height (2), width (2)
      j[i + 5] = static_cast<std::uint8_t>(height >> 8);
      j[i + 6] = static_cast<std::uint8_t>(height);
      j[i + 7] = static_cast<std::uint8_t>(width >> 8);
      j[i + 8] = static_cast<std::uint8_t>(width);
      return j;
    }
  }
  ADD_FAILURE() << "no SOF marker in the test JPEG";
  return j;
}

class HostileInputTest : public ::testing::Test {
 protected:
  ImageOptimizer optimizer_;

  // Every entry point gives the same kind for the same bad input.
  void expect_kind(const Bytes& input, ImageErrorKind kind) {
    auto o = optimizer_.optimize_for_analysis(input);
    ASSERT_FALSE(o) << "optimize accepted it";
    EXPECT_EQ(o.error().kind, kind) << o.error().message;
    EXPECT_FALSE(o.error().message.empty());
    auto t = optimizer_.generate_thumbnail(input);
    ASSERT_FALSE(t) << "thumbnail accepted it";
    EXPECT_EQ(t.error().kind, kind) << t.error().message;
    auto p = optimizer_.process(input, {}, 256);
    ASSERT_FALSE(p) << "process accepted it";
    EXPECT_EQ(p.error().kind, kind) << p.error().message;
  }
};

TEST_F(HostileInputTest, EmptyInputIsEmpty) {
  expect_kind({}, ImageErrorKind::kEmpty);
}

TEST_F(HostileInputTest, TextIsNotAnImage) {
  expect_kind(bytes_of("name,age\nada,36\n"), ImageErrorKind::kNotAnImage);
  expect_kind(Bytes(1000, 0), ImageErrorKind::kNotAnImage);
}

TEST_F(HostileInputTest, SvgIsAnUnsupportedFormat) {
  expect_kind(bytes_of(R"(<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>)"),
              ImageErrorKind::kUnsupportedFormat);
}

TEST_F(HostileInputTest, TruncatedJpegIsCorrupt) {
  Bytes j = jpeg(noise(400, 300));
  j.resize(j.size() / 2);
  expect_kind(j, ImageErrorKind::kCorrupt);
}

TEST_F(HostileInputTest, TruncatedPngIsCorrupt) {
  Bytes p = png(noise(400, 300));
  p.resize(p.size() / 2);
  expect_kind(p, ImageErrorKind::kCorrupt);
}

TEST_F(HostileInputTest, JpegHeaderAloneIsCorrupt) {
  Bytes j = jpeg(gradient(64, 64));
  j.resize(4);
  auto r = optimizer_.optimize_for_analysis(j);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().kind == ImageErrorKind::kCorrupt ||
              r.error().kind == ImageErrorKind::kNotAnImage)
      << to_string(r.error().kind);
}

TEST_F(HostileInputTest, PngWithBrokenHeaderChecksumIsCorrupt) {
  Bytes p = png(gradient(32, 32));
  p[29] ^= 0xFF;  // IHDR CRC
  expect_kind(p, ImageErrorKind::kCorrupt);
}

TEST_F(HostileInputTest, PngDecompressionBombIsRefusedFromTheHeader) {
  // ~100 bytes declaring 1,000,000 x 1,000,000 pixels.
  const Bytes bomb = png_claiming(1'000'000, 1'000'000);
  const auto start = std::chrono::steady_clock::now();
  expect_kind(bomb, ImageErrorKind::kTooLarge);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST_F(HostileInputTest, JpegDecompressionBombIsRefusedFromTheHeader) {
  // 65000 x 65000 = 4.2 gigapixels declared by a few hundred bytes.
  auto r = optimizer_.optimize_for_analysis(jpeg_claiming(65000, 65000));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ImageErrorKind::kTooLarge) << r.error().message;
  EXPECT_NE(r.error().message.find("65000x65000"), std::string::npos) << r.error().message;
}

TEST_F(HostileInputTest, PixelLimitIsConfigurable) {
  ImageOptimizer strict({.max_pixels = 10'000});
  auto over = strict.optimize_for_analysis(png(gradient(101, 100)));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().kind, ImageErrorKind::kTooLarge);
  EXPECT_TRUE(strict.optimize_for_analysis(png(gradient(100, 100))));
}

TEST_F(HostileInputTest, InputByteLimitIsChecked) {
  ImageOptimizer strict({.max_input_bytes = 100});
  auto r = strict.optimize_for_analysis(png(noise(100, 100)));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ImageErrorKind::kTooLarge);
}

TEST_F(HostileInputTest, TimeBudgetStopsALongDecode) {
  ImageOptimizer hurried({.time_budget = std::chrono::milliseconds(0)});
  auto r = hurried.optimize_for_analysis(png(noise(2000, 2000)));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ImageErrorKind::kTimeout) << r.error().message;
  // The optimizer is still usable afterwards.
  EXPECT_TRUE(optimizer_.optimize_for_analysis(png(gradient(100, 100))));
}

TEST_F(HostileInputTest, InvalidOptionsAreReported) {
  const Bytes input = png(gradient(10, 10));
  auto q = optimizer_.optimize_for_analysis(input, {.quality = 0});
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().kind, ImageErrorKind::kInvalidOptions);
  auto w = optimizer_.optimize_for_analysis(input, {.max_width = 0});
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().kind, ImageErrorKind::kInvalidOptions);
  auto t = optimizer_.generate_thumbnail(input, 0);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().kind, ImageErrorKind::kInvalidOptions);
}

TEST_F(HostileInputTest, ValueOfAnErrorResultThrows) {
  auto r = optimizer_.optimize_for_analysis({});
  EXPECT_THROW((void)r.value(), lumen::Error);
}

}  // namespace
}  // namespace lumen::image
