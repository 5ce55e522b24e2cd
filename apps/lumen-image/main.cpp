// lumen-image: optimizes images and makes thumbnails, in parallel, with lumen's ImageOptimizer.
//
//   lumen-image optimize photos/ --out out/ --thumbnails thumbs/ --jobs 4
//   lumen-image thumbnail scan.png -o thumbs/ --size 128 --json
//   lumen-image optimize --help
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>

#include "batch.hpp"
#include "command_line.hpp"
#include "lumen/core/version.hpp"
#include "lumen/image/vips_runtime.hpp"

namespace {

namespace fs = std::filesystem;
using lumen::image::cli::BatchOptions;
using lumen::image::cli::Command;
using lumen::image::cli::Entry;

constexpr const char* kUsage = R"(usage:
  lumen-image optimize FILE|DIR... --out DIR [options]
  lumen-image thumbnail FILE|DIR... --out DIR [options]
  lumen-image --version

Optimizes images (re-encodes them smaller, resized to fit a box) or makes thumbnails, in parallel.
lumen-image COMMAND --help lists the command's options and their defaults.
)";

constexpr const char* kEpilog =
    R"(Directories contribute the image files directly inside them. Outputs keep the input's base name
with the new extension. optimize copies an input that re-encoding would not make smaller, and that
already fits --max-width and --max-height, as it is, with its own extension ("original kept").
Inputs that share a base name get names of their own, in input order: same.jpg and same.png give
same.jpg and same-1.jpg. Every name is chosen before anything is written. An input is never written
over (--out may be the inputs' folder; an input whose output would be itself is refused), nor is a
file that was there before the run unless --force is given. --progressive writes progressive JPEGs:
about 3 % fewer bytes at the same quality, about 11 % more time.
Exit status: 0 all images done, 1 some failed or were refused, 2 usage error.
)";

struct Cli {
  BatchOptions batch;
  bool json = false;
  int vips_threads = -1;
};

// The options of one command, declared on `cli`, which writes them into `out`.
void declare(apps::CommandLine& cli, Cli& out) {
  const bool optimize = out.batch.command == Command::kOptimize;
  cli.custom("--out", "DIR", "where the outputs go (created if missing; required)", "",
             [&out](std::string_view dir) {
               out.batch.out_dir = dir;
               return std::string();
             });
  cli.alias("-o", "--out");
  if (optimize) {
    cli.custom("--format", "jpeg|webp|png", "format of the outputs", "jpeg",
               [&out](std::string_view name) {
                 const auto format = lumen::image::parse_format(name);
                 if (!format) return "is jpeg, webp or png, not '" + std::string(name) + "'";
                 out.batch.optimize.format = *format;
                 return std::string();
               });
    cli.number("--quality", "N", "encoder quality", out.batch.optimize.quality, 1, 100);
    cli.flag("--progressive", "write progressive JPEGs", out.batch.optimize.progressive);
    cli.number("--max-width", "N", "shrink wider images to this width",
               out.batch.optimize.max_width, 1, 100'000);
    cli.number("--max-height", "N", "shrink taller images to this height",
               out.batch.optimize.max_height, 1, 100'000);
    cli.custom("--thumbnails", "DIR", "also write a thumbnail of each image into DIR", "none",
               [&out](std::string_view dir) {
                 out.batch.thumbnail_dir = dir;
                 return std::string();
               });
    cli.number("--thumbnail-size", "N", "the thumbnails' side, in pixels", out.batch.thumbnail_size,
               1, 10'000);
  } else {
    cli.number("--size", "N", "the thumbnails' side, in pixels", out.batch.thumbnail_size, 1,
               10'000);
  }
  cli.custom("--jobs", "N", "images processed at once", "all cores", [&out](std::string_view text) {
    return apps::parse_number(text, out.batch.jobs, 1, 1024);
  });
  cli.custom("--vips-threads", "N", "libvips's own threads per image",
             "all cores with --jobs 1, else 1", [&out](std::string_view text) {
               return apps::parse_number(text, out.vips_threads, 1, 1024);
             });
  cli.flag("--force", "replace outputs left by an earlier run (never an input)", out.batch.force);
  cli.flag("--json", "print a JSON report instead of a line per image", out.json);
  cli.arguments("FILE|DIR...",
                [&out](std::string_view input) { out.batch.inputs.emplace_back(input); });
  cli.epilog(kEpilog);
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

// "-12.3 %" smaller, "+3.2 %" larger, "0.0 %" the same: the sign comes from the byte counts, so a
// change too small for one decimal still shows which way it went.
std::string change(std::uint64_t in, std::uint64_t out) {
  if (in == out) return "0.0 %";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%c%.1f %%", out > in ? '+' : '-',
                std::abs(lumen::image::cli::reduction_percent(in, out)));
  return buf;
}

void print_entry(const Entry& e) {
  if (!e.error.empty()) {
    std::printf("FAIL %s: %s\n", e.input.c_str(), e.error.c_str());
    return;
  }
  std::printf("ok   %s  %dx%d -> %dx%d  %s -> %s  (%s)%s  %.0f ms\n", e.input.c_str(), e.width_in,
              e.height_in, e.width_out, e.height_out, human(e.bytes_in).c_str(),
              human(e.bytes_out).c_str(), change(e.bytes_in, e.bytes_out).c_str(),
              e.unchanged ? "  original kept: re-encoding would not make it smaller" : "",
              e.milliseconds);
}

void progress_bar(std::size_t done, std::size_t total) {
  constexpr std::size_t kWidth = 30;
  const std::size_t filled = total == 0 ? kWidth : done * kWidth / total;
  std::fprintf(stderr, "\r[%s%s] %zu/%zu", std::string(filled, '#').c_str(),
               std::string(kWidth - filled, ' ').c_str(), done, total);
  std::fflush(stderr);
}

}  // namespace

// NOLINTNEXTLINE(bugprone-exception-escape): an escaping exception ends the program, as intended
int main(int argc, char** argv) {
  const std::string versions = "libvips " + lumen::image::libvips_version();
  const std::string_view command = argc >= 2 ? argv[1] : "";
  Cli cli;
  if (command == "optimize") {
    cli.batch.command = Command::kOptimize;
  } else if (command == "thumbnail") {
    cli.batch.command = Command::kThumbnail;
  } else {
    apps::CommandLine top("lumen-image", "", "COMMAND ...");
    top.version_detail(versions);
    if (command == "--version") {
      top.print_version();
      return 0;
    }
    if (command == "--help" || command == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    std::fputs(kUsage, stderr);
    if (command.empty()) return top.fail("no command: optimize or thumbnail");
    return top.fail((command.starts_with("-") ? "unknown option " : "unknown command ") +
                    std::string(command));
  }
  apps::CommandLine parser(
      "lumen-image",
      std::string(
          command == "optimize"
              ? "Optimizes images: re-encodes them, smaller, resized to fit "
                "--max-width and --max-height."
              : "Makes square JPEG thumbnails, scaled to cover and cropped around the centre."),
      std::string(command) + " FILE|DIR... --out DIR [options]");
  parser.version_detail(versions);
  declare(parser, cli);
  if (const std::optional<int> status = parser.parse(argc, argv, 2)) return *status;
  if (cli.batch.inputs.empty()) return parser.fail("no input files or directories");
  if (cli.batch.out_dir.empty()) return parser.fail("--out DIR is required");
  // A file that re-encoding would make larger is better left as it is, in its own format.
  cli.batch.optimize.keep_smaller_original = true;
  if (cli.batch.jobs == 0)
    cli.batch.jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
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
      std::fprintf(stderr, "lumen-image: cannot create %s: %s\n", dir->c_str(),
                   ec.message().c_str());
      return 2;
    }
  }
  std::error_code ec;
  if (!cli.batch.thumbnail_dir.empty() &&
      fs::equivalent(cli.batch.out_dir, cli.batch.thumbnail_dir, ec)) {
    // A thumbnail and a JPEG output of the same image would have the same name.
    return parser.fail("--thumbnails needs a directory of its own, not --out's");
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
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
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
  const double reduction = lumen::image::cli::reduction_percent(in, out);
  const double per_second = seconds > 0 ? static_cast<double>(entries.size()) / seconds : 0.0;

  if (cli.json) {
    nlohmann::json doc;
    doc["images"] = nlohmann::json::array();
    for (const Entry& e : entries) {
      nlohmann::json j{{"input", e.input},
                       {"output", e.output},
                       {"bytes_in", e.bytes_in},
                       {"bytes_out", e.bytes_out},
                       {"width_in", e.width_in},
                       {"height_in", e.height_in},
                       {"width_out", e.width_out},
                       {"height_out", e.height_out},
                       {"milliseconds", e.milliseconds},
                       {"reduction_percent", e.reduction_percent},
                       {"unchanged", e.unchanged}};
      if (!e.thumbnail.empty()) {
        j["thumbnail"] = e.thumbnail;
        j["thumbnail_bytes"] = e.thumbnail_bytes;
      }
      j["error"] = e.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.error);
      doc["images"].push_back(std::move(j));
    }
    doc["totals"] = {{"images", entries.size()},
                     {"failed", failed},
                     {"bytes_in", in},
                     {"bytes_out", out},
                     {"thumbnail_bytes", thumbs},
                     {"reduction_percent", reduction},
                     {"seconds", seconds},
                     {"images_per_second", per_second}};
    for (const std::string& p : problems) doc["problems"].push_back(p);
    std::cout << doc.dump(2) << '\n';
  } else {
    std::printf("%zu images, %zu failed: %s -> %s (%s)", entries.size(), failed, human(in).c_str(),
                human(out).c_str(), change(in, out).c_str());
    if (thumbs > 0) std::printf(", thumbnails %s", human(thumbs).c_str());
    std::printf(", %.2f s, %.2f images/s\n", seconds, per_second);
  }
  return failed == 0 ? 0 : 1;
}
