// The image optimizer beside a naive libvips loop (thumbnail_buffer + jpegsave_buffer per image,
// as a first C++ port would write it), over a whole corpus per iteration. sharp and vipsthumbnail
// run in bench/image_bench.sh (separate processes, for peak memory).
//   LUMEN_IMAGE_CORPUS=/work/shared/corpus/images build/bench/image_bench
#include <benchmark/benchmark.h>
#include <vips/vips8>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "image/png_decoder.hpp"
#include "lumen/image/image_optimizer.hpp"
#include "lumen/image/vips_runtime.hpp"

namespace {

using lumen::image::Bytes;

const std::vector<Bytes>& corpus() {
  static const std::vector<Bytes> files = [] {
    const char* dir = std::getenv("LUMEN_IMAGE_CORPUS");
    std::vector<std::filesystem::path> paths;
    for (const auto& e :
         std::filesystem::directory_iterator(dir != nullptr ? dir : "/work/shared/corpus/images")) {
      const std::string ext = e.path().extension().string();
      if (ext == ".jpg" || ext == ".png" || ext == ".webp") paths.push_back(e.path());
    }
    std::sort(paths.begin(), paths.end());
    std::vector<Bytes> out;
    for (const auto& p : paths) {
      std::ifstream in(p, std::ios::binary);
      out.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return out;
  }();
  return files;
}

std::size_t blob_size(VipsBlob* blob) {
  std::size_t n = 0;
  vips_blob_get(blob, &n);
  vips_area_unref(reinterpret_cast<VipsArea*>(blob));
  return n;
}

void set_counters(benchmark::State& state, std::size_t in, std::size_t out) {
  state.counters["images"] = static_cast<double>(corpus().size());
  state.counters["bytes_in"] = static_cast<double>(in);
  state.counters["bytes_out"] = static_cast<double>(out);
}

void BM_LumenOptimize(benchmark::State& state) {
  const lumen::image::ImageOptimizer optimizer;
  std::size_t in = 0;
  std::size_t out = 0;
  for (auto _ : state) {
    in = out = 0;
    for (const Bytes& b : corpus()) {
      auto r = optimizer.optimize_for_analysis(b);
      in += b.size();
      if (r) out += r.value().bytes.size();
    }
  }
  set_counters(state, in, out);
}

void BM_NaiveOptimize(benchmark::State& state) {
  lumen::image::ensure_libvips_started();
  std::size_t in = 0;
  std::size_t out = 0;
  for (auto _ : state) {
    in = out = 0;
    for (const Bytes& b : corpus()) {
      VipsBlob* blob = vips_blob_new(nullptr, b.data(), b.size());
      const vips::VImage img = vips::VImage::thumbnail_buffer(
          blob, 1920, vips::VImage::option()->set("height", 1920)->set("size", VIPS_SIZE_DOWN));
      vips_area_unref(reinterpret_cast<VipsArea*>(blob));
      out += blob_size(img.jpegsave_buffer(vips::VImage::option()->set("Q", 85)));
      in += b.size();
    }
  }
  set_counters(state, in, out);
}

void BM_LumenWholeJob(benchmark::State& state) {
  const lumen::image::ImageOptimizer optimizer;
  std::size_t in = 0;
  std::size_t out = 0;
  for (auto _ : state) {
    in = out = 0;
    for (const Bytes& b : corpus()) {
      auto r = optimizer.process(b, {}, 256);
      in += b.size();
      if (r) out += r.value().optimized.bytes.size();
    }
  }
  set_counters(state, in, out);
}

// The original design's job ported naively: header, optimize and thumbnail as three decodes.
void BM_NaiveWholeJob(benchmark::State& state) {
  lumen::image::ensure_libvips_started();
  std::size_t in = 0;
  std::size_t out = 0;
  for (auto _ : state) {
    in = out = 0;
    for (const Bytes& b : corpus()) {
      const vips::VImage header = vips::VImage::new_from_buffer(b.data(), b.size(), "");
      benchmark::DoNotOptimize(header.width());
      VipsBlob* blob = vips_blob_new(nullptr, b.data(), b.size());
      const vips::VImage img = vips::VImage::thumbnail_buffer(
          blob, 1920, vips::VImage::option()->set("height", 1920)->set("size", VIPS_SIZE_DOWN));
      out += blob_size(img.jpegsave_buffer(vips::VImage::option()->set("Q", 85)));
      const vips::VImage thumb = vips::VImage::thumbnail_buffer(
          blob, 256,
          vips::VImage::option()->set("height", 256)->set("crop", VIPS_INTERESTING_CENTRE));
      benchmark::DoNotOptimize(
          blob_size(thumb.jpegsave_buffer(vips::VImage::option()->set("Q", 80))));
      vips_area_unref(reinterpret_cast<VipsArea*>(blob));
      in += b.size();
    }
  }
  set_counters(state, in, out);
}

// PNG decoding alone, to memory, over the corpus's PNGs: ours beside libvips's loader (libpng).
bool is_png(const Bytes& b) {
  return lumen::image::detail::is_png(b);
}

void BM_PngDecode(benchmark::State& state) {
  lumen::image::ensure_libvips_started();
  std::size_t decoded = 0;
  for (auto _ : state) {
    decoded = 0;
    for (const Bytes& b : corpus()) {
      if (!is_png(b)) continue;
      const auto d = lumen::image::detail::decode_png(b, 100'000'000);
      if (d.status == lumen::image::detail::PngDecode::kDecoded) {
        ++decoded;
        benchmark::DoNotOptimize(d.pixels.data.get());
      } else {
        // What the optimizer does with the rest: libvips decodes them.
        benchmark::DoNotOptimize(
            vips::VImage::new_from_buffer(b.data(), b.size(), "").copy_memory().width());
      }
    }
  }
  state.counters["decoded_by_us"] = static_cast<double>(decoded);
}

void BM_LibvipsPngDecode(benchmark::State& state) {
  lumen::image::ensure_libvips_started();
  for (auto _ : state) {
    for (const Bytes& b : corpus()) {
      if (!is_png(b)) continue;
      const vips::VImage image = vips::VImage::new_from_buffer(
          b.data(), b.size(), "", vips::VImage::option()->set("access", VIPS_ACCESS_SEQUENTIAL));
      benchmark::DoNotOptimize(image.copy_memory().width());
    }
  }
}

// One pass over the corpus takes seconds: one iteration per repetition, medians of three.
#define LUMEN_IMAGE_BENCH(fn)                                                     \
  BENCHMARK(fn)->Iterations(1)->Repetitions(3)->ReportAggregatesOnly(true)->Unit( \
      benchmark::kMillisecond)
LUMEN_IMAGE_BENCH(BM_LumenOptimize);
LUMEN_IMAGE_BENCH(BM_NaiveOptimize);
LUMEN_IMAGE_BENCH(BM_LumenWholeJob);
LUMEN_IMAGE_BENCH(BM_NaiveWholeJob);
BENCHMARK(BM_PngDecode)->Repetitions(5)->ReportAggregatesOnly(true)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LibvipsPngDecode)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
