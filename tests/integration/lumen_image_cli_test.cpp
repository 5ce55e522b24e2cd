// Runs the built lumen-image tool on images made here, and reads its JSON report and its files.
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "../unit/image/test_images.hpp"
#include "lumen/image/vips_runtime.hpp"
#include "program_run.hpp"

namespace lumen::image {
namespace {

namespace fs = std::filesystem;
using namespace lumen::image::testing;  // NOLINT

lumen::testing::ProgramRun run(const std::string& args) {
  return lumen::testing::run_program(std::string(LUMEN_IMAGE_CLI) + " " + args);
}

void write(const fs::path& path, const Bytes& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
}

Bytes read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A few dozen bytes: any JPEG of it is larger.
Bytes flat_png() {
  return png((vips::VImage::black(24, 24) + 128).cast(VIPS_FORMAT_UCHAR));
}

class LumenImageCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ensure_libvips_started();
    dir_ = fs::temp_directory_path() / ("lumen_image_cli_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "in");
    write(dir_ / "in" / "wide.jpg", jpeg(gradient(3000, 1500)));
    write(dir_ / "in" / "page.png", png(text_page(1200, 2400)));
    write(dir_ / "in" / "broken.jpg",
          Bytes{'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm', 'a', 'g', 'e'});
    write(dir_ / "in" / "notes.txt",
          Bytes{'x'});  // not an image extension: not picked from the folder
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(LumenImageCliTest, OptimizesAFolderWithThumbnailsAndReportsTheBadFile) {
  const auto r = run("optimize " + (dir_ / "in").string() + " --out " + (dir_ / "out").string() +
                     " --thumbnails " + (dir_ / "thumbs").string() + " --jobs 2 --json");
  EXPECT_EQ(r.status, 1) << "a failed image makes the exit status 1";
  const auto doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc["images"].size(), 3u) << r.out;
  EXPECT_EQ(doc["totals"]["images"], 3);
  EXPECT_EQ(doc["totals"]["failed"], 1);

  std::uint64_t in = 0;
  std::uint64_t out = 0;
  for (const auto& e : doc["images"]) {
    const fs::path input = e["input"].get<std::string>();
    if (input.filename() == "broken.jpg") {
      EXPECT_NE(e["error"].get<std::string>().find("not_an_image"), std::string::npos) << e.dump();
      continue;
    }
    ASSERT_TRUE(e["error"].is_null()) << e.dump();
    const fs::path output = e["output"].get<std::string>();
    EXPECT_EQ(output, dir_ / "out" / (input.stem().string() + ".jpg"));
    const vips::VImage written = vips::VImage::new_from_file(output.c_str());
    EXPECT_EQ(written.width(), e["width_out"].get<int>());
    EXPECT_EQ(written.height(), e["height_out"].get<int>());
    EXPECT_EQ(fs::file_size(output), e["bytes_out"].get<std::uint64_t>());
    EXPECT_EQ(fs::file_size(input), e["bytes_in"].get<std::uint64_t>());
    const vips::VImage thumb =
        vips::VImage::new_from_file(e["thumbnail"].get<std::string>().c_str());
    EXPECT_EQ(thumb.width(), 256);
    EXPECT_EQ(thumb.height(), 256);
    in += e["bytes_in"].get<std::uint64_t>();
    out += e["bytes_out"].get<std::uint64_t>();
    if (input.filename() == "wide.jpg") {
      EXPECT_EQ(e["width_in"], 3000);
      EXPECT_EQ(e["width_out"], 1920);
      EXPECT_EQ(e["height_out"], 960);
    } else {
      EXPECT_EQ(e["width_out"], 960);
      EXPECT_EQ(e["height_out"], 1920);
    }
  }
  EXPECT_EQ(doc["totals"]["bytes_in"].get<std::uint64_t>(), in);
  EXPECT_EQ(doc["totals"]["bytes_out"].get<std::uint64_t>(), out);
  EXPECT_FALSE(fs::exists(dir_ / "out" / "notes.jpg"));
}

TEST_F(LumenImageCliTest, OutMayBeGivenAsDashOOrJoinedWithEquals) {
  const std::string input = (dir_ / "in" / "wide.jpg").string();
  const auto short_form =
      run("thumbnail " + input + " -o " + (dir_ / "short").string() + " --size 40");
  EXPECT_EQ(short_form.status, 0) << short_form.err;
  EXPECT_TRUE(fs::exists(dir_ / "short" / "wide.jpg"));
  const auto joined =
      run("optimize " + input + " --out=" + (dir_ / "joined").string() + " --quality=70");
  EXPECT_EQ(joined.status, 0) << joined.err;
  EXPECT_TRUE(fs::exists(dir_ / "joined" / "wide.jpg"));
}

TEST_F(LumenImageCliTest, ThumbnailCommandWritesExactSizesAndExitsZero) {
  const auto r =
      run("thumbnail " + (dir_ / "in" / "wide.jpg").string() + " " +
          (dir_ / "in" / "page.png").string() + " --out " + (dir_ / "t").string() + " --size 100");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("2 images, 0 failed"), std::string::npos) << r.out;
  for (const char* name : {"wide.jpg", "page.jpg"}) {
    const vips::VImage t = vips::VImage::new_from_file((dir_ / "t" / name).c_str());
    EXPECT_EQ(t.width(), 100);
    EXPECT_EQ(t.height(), 100);
  }
}

TEST_F(LumenImageCliTest, WebpFormatChangesTheExtension) {
  const auto r = run("optimize " + (dir_ / "in" / "wide.jpg").string() + " --out " +
                     (dir_ / "o").string() + " --format webp --quality 60 --max-width 500");
  EXPECT_EQ(r.status, 0) << r.out;
  const vips::VImage w = vips::VImage::new_from_file((dir_ / "o" / "wide.webp").c_str());
  EXPECT_EQ(w.width(), 500);
  EXPECT_EQ(w.height(), 250);
}

TEST_F(LumenImageCliTest, ProgressiveFlagWritesProgressiveJpeg) {
  const std::string input = (dir_ / "in" / "wide.jpg").string();
  ASSERT_EQ(run("optimize " + input + " --out " + (dir_ / "p").string() + " --progressive").status,
            0);
  ASSERT_EQ(run("optimize " + input + " --out " + (dir_ / "b").string()).status, 0);
  EXPECT_EQ(jpeg_frame_type(read(dir_ / "p" / "wide.jpg")), "progressive");
  EXPECT_EQ(jpeg_frame_type(read(dir_ / "b" / "wide.jpg")), "baseline");
}

TEST_F(LumenImageCliTest, InputsWithTheSameStemInDifferentFormatsBothSurvive) {
  fs::create_directories(dir_ / "same");
  write(dir_ / "same" / "same.jpg", jpeg(gradient(300, 200)));
  write(dir_ / "same" / "same.png", png(noise(300, 200)));
  const auto r = run("optimize " + (dir_ / "same").string() + " --out " + (dir_ / "o").string());
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  // Input order is name order: same.jpg keeps the plain name, same.png gets the first suffix.
  EXPECT_EQ(decode(read(dir_ / "o" / "same.jpg")).width(), 300);
  EXPECT_EQ(decode(read(dir_ / "o" / "same-1.jpg")).width(), 300);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_ / "o"), fs::directory_iterator()), 2);
}

TEST_F(LumenImageCliTest, OutEqualToTheInputFolderLeavesEveryOriginalByteIdentical) {
  const fs::path in = dir_ / "in";
  std::vector<std::pair<fs::path, Bytes>> originals;
  for (const auto& f : fs::directory_iterator(in)) originals.emplace_back(f.path(), read(f.path()));
  const auto r = run("optimize " + in.string() + " --out " + in.string());
  EXPECT_EQ(r.status, 1) << "wide.jpg would be its own output: refused";
  for (const auto& [path, bytes] : originals) EXPECT_EQ(read(path), bytes) << path;
  EXPECT_NE(r.out.find((in / "wide.jpg").string() + " is an input"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(in / "page.jpg")) << "an output that is no input is still written";
}

TEST_F(LumenImageCliTest, ASecondRunRefusesToOverwriteWithoutForceAndReplacesWithIt) {
  const std::string input = (dir_ / "in" / "wide.jpg").string();
  const fs::path output = dir_ / "o" / "wide.jpg";
  ASSERT_EQ(run("optimize " + input + " --out " + (dir_ / "o").string()).status, 0);
  write(output, Bytes{'e', 'a', 'r', 'l', 'i', 'e', 'r'});
  const auto again = run("optimize " + input + " --out " + (dir_ / "o").string());
  EXPECT_EQ(again.status, 1);
  EXPECT_NE(again.out.find(output.string() + " exists"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("1 images, 1 failed"), std::string::npos) << again.out;
  EXPECT_EQ(read(output), (Bytes{'e', 'a', 'r', 'l', 'i', 'e', 'r'}));
  const auto forced = run("optimize " + input + " --out " + (dir_ / "o").string() + " --force");
  EXPECT_EQ(forced.status, 0) << forced.err;
  EXPECT_EQ(decode(read(output)).width(), 1920);
}

TEST_F(LumenImageCliTest, AnOutputThatWouldGrowIsAByteCopyOfTheInputAndTheReportSaysSo) {
  const Bytes tiny = flat_png();
  write(dir_ / "tiny.png", tiny);
  const auto r =
      run("optimize " + (dir_ / "tiny.png").string() + " --out " + (dir_ / "o").string());
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read(dir_ / "o" / "tiny.png"), tiny);
  EXPECT_FALSE(fs::exists(dir_ / "o" / "tiny.jpg"));
  EXPECT_NE(r.out.find("original kept"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("-0.0 %"), std::string::npos) << r.out;
}

TEST_F(LumenImageCliTest, AnOutputLargerThanItsInputIsShownAsGrowth) {
  const Bytes tiny = flat_png();
  write(dir_ / "tiny.png", tiny);
  const auto r =
      run("thumbnail " + (dir_ / "tiny.png").string() + " --out " + (dir_ / "t").string());
  EXPECT_EQ(r.status, 0) << r.err;
  ASSERT_GT(fs::file_size(dir_ / "t" / "tiny.jpg"), tiny.size());
  EXPECT_NE(r.out.find("(+"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("-0.0 %"), std::string::npos) << r.out;
}

TEST_F(LumenImageCliTest, UsageErrorsExitWithTwo) {
  EXPECT_EQ(run("optimize " + (dir_ / "in").string()).status, 2);  // no --out
  EXPECT_EQ(run("optimize x --out y --quality 101").status, 2);
  EXPECT_EQ(run("resize x --out y").status, 2);
}

TEST_F(LumenImageCliTest, VersionNamesLibvips) {
  const auto r = run("--version");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("libvips 8."), std::string::npos) << r.out;
}

}  // namespace
}  // namespace lumen::image
