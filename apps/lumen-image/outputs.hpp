// Where the outputs of one lumen-image run go, and how they are written: the names are chosen for
// the whole run before any file is written, so that no output lands on an input, on another
// output of the same run, or (without --force) on a file that was there before the run.
//
//   const InputFiles inputs(files);
//   const std::vector<PlannedOutput> plan = plan_outputs(options, files, inputs);
//   if (plan[i].refused.empty()) error = write_output(plan[i].output, bytes, force, inputs);
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "batch.hpp"

namespace lumen::image::cli {

// The files a run reads, known by device and inode, so that no other spelling of a path (a
// relative one, a symbolic or a hard link) lets an output replace one of them.
class InputFiles {
 public:
  explicit InputFiles(const std::vector<std::filesystem::path>& files);
  // False when nothing exists at `path`.
  [[nodiscard]] bool contains(const std::filesystem::path& path) const;

 private:
  std::set<std::pair<dev_t, ino_t>> ids_;
};

struct PlannedOutput {
  std::filesystem::path output;     // the re-encoded image; the thumbnail command: the thumbnail
  std::filesystem::path original;   // where an input kept as it was goes (its own extension)
  std::filesystem::path thumbnail;  // optimize --thumbnails only
  std::string refused;              // not empty: the input is not processed, and this says why
};

// One entry per file, in the same order. Every input gets a base name of its own in the run: the
// first input with a given stem keeps it, later ones get "-1", "-2"... (the first such name that
// is no input's stem), so `same.jpg` and `same.png` become `same.jpg` and `same-1.jpg`. An input
// is refused when its output or thumbnail path is an input, or exists and `options.force` is off.
// `original` is checked only when it is used, by write_output.
[[nodiscard]] std::vector<PlannedOutput> plan_outputs(
    const BatchOptions& options, const std::vector<std::filesystem::path>& files,
    const InputFiles& inputs);

// Writes `bytes` to a new file at `path`, or over an existing one when `replace` is set (by
// renaming a complete copy into place, so that no reader sees half a file), but never over an
// input. Returns why nothing was written, or "" on success.
[[nodiscard]] std::string write_output(const std::filesystem::path& path, const Bytes& bytes,
                                       bool replace, const InputFiles& inputs);

}  // namespace lumen::image::cli
