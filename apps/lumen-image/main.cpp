// lumen-image: optimizes images and makes thumbnails, in parallel, with lumen's ImageOptimizer.
//
//   lumen-image optimize photos/ --out out/ --thumbnails thumbs/ --jobs 4
//   lumen-image thumbnail scan.png --out thumbs/ --size 128 --json
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>

#include "batch.hpp"
#include "lumen/core/version.hpp"
#include "lumen/image/vips_runtime.hpp"

namespace {

namespace fs = std::filesystem;
using lumen::image::cli::BatchOptions;
using lumen::image::cli::Command;
using lumen::image::cli::Entry;

constexpr const char* kUsage = R"(usage:
  lumen-image optimize FILE|DIR... --out DIR [--format jpeg|webp|png] [--quality N] [--progressive]
                       [--max-width N] [--max-height N] [--thumbnails DIR [--thumbnail-size N]]
                       [--jobs N] [--vips-threads N] [--json]
  lumen-image thumbnail FILE|DIR... --out DIR [--size N] [--jobs N] [--vips-threads N] [--json]
  lumen-image --version

Directories contribute the image files directly inside them. Outputs keep the input's base name
with the new extension. --jobs (default: all cores) images are processed at once; --vips-threads
is libvips's own threads per image (default: all cores with --jobs 1, else 1). --progressive writes
progressive JPEGs: about 3 % fewer bytes at the same quality, about 11 % more time.
Exit status: 0 all images done, 1 some failed, 2 usage error.
)";

struct Cli {
  BatchOptions batch;
  bool json = false;
  int vips_threads = -1;
};

int parse_int(std::string_view flag, std::string_view text, int min, int max) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max) {
    throw std::invalid_argument(std::string(flag) + " wants a whole number within " + std::to_string(min) + ".." +
                                std::to_string(max) + ", not '" + std::string(text) + "'");
  }
  return value;
}

Cli parse(int argc, char** argv) {
  Cli cli;
  std::string_view command = argv[1];
  if (command == "optimize") {
    cli.batch.command = Command::kOptimize;
  } else if (command == "thumbnail") {
    cli.batch.command = Command::kThumbnail;
  } else {
    throw std::invalid_argument("unknown command '" + std::string(command) + "'");
  }
  const bool optimize = cli.batch.command == Command::kOptimize;
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) throw std::invalid_argument(std::string(arg) + " needs a value");
      return argv[++i];
    };
    if (arg == "--out") {
      cli.batch.out_dir = value();
    } else if (arg == "--jobs") {
      cli.batch.jobs = parse_int(arg, value(), 1, 1024);
    } else if (arg == "--vips-threads") {
      cli.vips_threads = parse_int(arg, value(), 1, 1024);
    } else if (arg == "--json") {
      cli.json = true;
    } else if (optimize && arg == "--format") {
      const std::string_view name = value();
      auto format = lumen::image::parse_format(name);
      if (!format) throw std::invalid_argument("--format is jpeg, webp or png, not '" + std::string(name) + "'");
      cli.batch.optimize.format = *format;
    } else if (optimize && arg == "--quality") {
      cli.batch.optimize.quality = parse_int(arg, value(), 1, 100);
    } else if (optimize && arg == "--progressive") {
      cli.batch.optimize.progressive = true;
    } else if (optimize && arg == "--max-width") {
      cli.batch.optimize.max_width = parse_int(arg, value(), 1, 100'000);
    } else if (optimize && arg == "--max-height") {
      cli.batch.optimize.max_height = parse_int(arg, value(), 1, 100'000);
    } else if (optimize && arg == "--thumbnails") {
      cli.batch.thumbnail_dir = value();
    } else if ((optimize && arg == "--thumbnail-size") || (!optimize && arg == "--size")) {
      cli.batch.thumbnail_size = parse_int(arg, value(), 1, 10'000);
    } else if (arg.starts_with("--")) {
      throw std::invalid_argument("unknown option " + std::string(arg) + " for " + std::string(command));
    } else {
      cli.batch.inputs.emplace_back(arg);
    }
  }
  if (cli.batch.inputs.empty()) throw std::invalid_argument("no input files or directories");
  if (cli.batch.out_dir.empty()) throw std::invalid_argument("--out DIR is required");
  return cli;
}

std::string human(std::uint64_t bytes) {
  char buf[32];
  if (bytes >= 1'000'000) {
    std::snprintf(buf, sizeof buf, "%.2f MB", static_cast<double>(bytes) / 1e6);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f kB", static_cast<double>(bytes) / 1e3);
  }
  return buf;
}

void print_entry(const Entry& e) {
  if (!e.error.empty()) {
    std::printf("FAIL %s: %s\n", e.input.c_str(), e.error.c_str());
    return;
  }
  std::printf("ok   %s  %dx%d -> %dx%d  %s -> %s  (-%.1f %%)%s  %.0f ms\n", e.input.c_str(), e.width_in, e.height_in,
              e.width_out, e.height_out, human(e.bytes_in).c_str(), human(e.bytes_out).c_str(), e.reduction_percent,
              e.unchanged ? "  unchanged" : "", e.milliseconds);
}

void progress_bar(std::size_t done, std::size_t total) {
  constexpr std::size_t kWidth = 30;
  const std::size_t filled = total == 0 ? kWidth : done * kWidth / total;
  std::fprintf(stderr, "\r[%s%s] %zu/%zu", std::string(filled, '#').c_str(), std::string(kWidth - filled, ' ').c_str(),
               done, total);
  std::fflush(stderr);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "--version") {
    std::printf("lumen-image %s (libvips %s)\n", lumen::kVersion, lumen::image::libvips_version().c_str());
    return 0;
  }
  if (argc < 2 || std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h") {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  Cli cli;
  try {
    cli = parse(argc, argv);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "lumen-image: %s\n\n%s", e.what(), kUsage);
    return 2;
  }
  if (cli.batch.jobs == 0) cli.batch.jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // One image per core already fills the machine: libvips's own threads would only contend.
  const int vips_threads = cli.vips_threads > 0 ? cli.vips_threads : (cli.batch.jobs > 1 ? 1 : 0);
  try {
    lumen::image::configure_libvips({.threads = vips_threads});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lumen-image: %s\n", e.what());
    return 2;
  }

  std::vector<std::string> problems;
  const std::vector<fs::path> files = lumen::image::cli::expand_inputs(cli.batch.inputs, problems);
  for (const fs::path* dir : {&cli.batch.out_dir, &cli.batch.thumbnail_dir}) {
    std::error_code ec;
    if (!dir->empty() && !fs::create_directories(*dir, ec) && ec) {
      std::fprintf(stderr, "lumen-image: cannot create %s: %s\n", dir->c_str(), ec.message().c_str());
      return 2;
    }
  }
  for (const std::string& p : problems) std::fprintf(stderr, "lumen-image: %s\n", p.c_str());

  const bool bar = !cli.json && isatty(STDERR_FILENO) != 0;
  const auto start = std::chrono::steady_clock::now();
  const std::vector<Entry> entries =
      lumen::image::cli::run_batch(cli.batch, files, [&](const Entry& e, std::size_t done) {
        if (cli.json) return;
        if (bar) std::fputs("\r\033[K", stderr);
        print_entry(e);
        std::fflush(stdout);
        if (bar) progress_bar(done, files.size());
      });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (bar) std::fputs("\r\033[K", stderr);

  std::uint64_t in = 0;
  std::uint64_t out = 0;
  std::uint64_t thumbs = 0;
  std::size_t failed = problems.size();
  for (const Entry& e : entries) {
    if (!e.error.empty()) {
      ++failed;
      continue;
    }
    in += e.bytes_in;
    out += e.bytes_out;
    thumbs += e.thumbnail_bytes;
  }
  const double reduction = in == 0 ? 0.0 : 100.0 * (1.0 - static_cast<double>(out) / static_cast<double>(in));
  const double per_second = seconds > 0 ? static_cast<double>(entries.size()) / seconds : 0.0;

  if (cli.json) {
    nlohmann::json doc;
    doc["images"] = nlohmann::json::array();
    for (const Entry& e : entries) {
      nlohmann::json j{{"input", e.input},         {"output", e.output},       {"bytes_in", e.bytes_in},
                       {"bytes_out", e.bytes_out}, {"width_in", e.width_in},   {"height_in", e.height_in},
                       {"width_out", e.width_out}, {"height_out", e.height_out}, {"milliseconds", e.milliseconds},
                       {"reduction_percent", e.reduction_percent}, {"unchanged", e.unchanged}};
      if (!e.thumbnail.empty()) {
        j["thumbnail"] = e.thumbnail;
        j["thumbnail_bytes"] = e.thumbnail_bytes;
      }
      j["error"] = e.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.error);
      doc["images"].push_back(std::move(j));
    }
    doc["totals"] = {{"images", entries.size()}, {"failed", failed},         {"bytes_in", in},
                     {"bytes_out", out},         {"thumbnail_bytes", thumbs}, {"reduction_percent", reduction},
                     {"seconds", seconds},       {"images_per_second", per_second}};
    for (const std::string& p : problems) doc["problems"].push_back(p);
    std::cout << doc.dump(2) << '\n';
  } else {
    std::printf("%zu images, %zu failed: %s -> %s (-%.1f %%)", entries.size(), failed, human(in).c_str(),
                human(out).c_str(), reduction);
    if (thumbs > 0) std::printf(", thumbnails %s", human(thumbs).c_str());
    std::printf(", %.2f s, %.2f images/s\n", seconds, per_second);
  }
  return failed == 0 ? 0 : 1;
}
