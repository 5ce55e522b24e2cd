// The work of one lumen-image run: a list of input files processed by N worker threads, each
// result reported as soon as it is done.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "lumen/image/image_optimizer.hpp"

namespace lumen::image::cli {

enum class Command { kOptimize, kThumbnail };

struct BatchOptions {
  Command command = Command::kOptimize;
  std::vector<std::filesystem::path> inputs;  // files and directories, as given
  std::filesystem::path out_dir;
  std::filesystem::path thumbnail_dir;  // optimize only; empty: no thumbnails
  OptimizeOptions optimize;
  int thumbnail_size = 256;
  int jobs = 0;        // 0: all cores
  bool force = false;  // replace files that exist before the run (never an input)
};

struct Entry {
  std::string input;
  std::string output;
  std::string thumbnail;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;  // the optimized copy (thumbnail command: the thumbnail)
  std::uint64_t thumbnail_bytes = 0;
  int width_in = 0;
  int height_in = 0;
  int width_out = 0;
  int height_out = 0;
  double reduction_percent = 0;  // of bytes_out against bytes_in; negative when the output grew
  bool unchanged = false;        // re-encoding would not have made it smaller: a copy of the input
  double milliseconds = 0;
  std::string error;  // empty: success
};

// 100 * (in - out) / in: negative when the output is larger; 0 for an empty input.
double reduction_percent(std::uint64_t in, std::uint64_t out);

// Files named on the command line, and the image files (by extension) directly inside the
// directories named, in name order.
std::vector<std::filesystem::path> expand_inputs(const std::vector<std::filesystem::path>& inputs,
                                                 std::vector<std::string>& problems);

// Plans every output (outputs.hpp), then processes every file; `on_done` is called (serialised)
// after each one. Results are in input order. A refused file is an Entry with its `error`.
std::vector<Entry> run_batch(const BatchOptions& options,
                             const std::vector<std::filesystem::path>& files,
                             const std::function<void(const Entry&, std::size_t done)>& on_done);

}  // namespace lumen::image::cli
