#include "outputs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace lumen::image::cli {
namespace fs = std::filesystem;

namespace {

std::string is_an_input(const fs::path& path) {
  return path.string() + " is an input: lumen-image never writes over one (choose another --out)";
}

std::string why(const std::string& what, const fs::path& path) {
  return "cannot " + what + " " + path.string() + ": " +
         std::error_code(errno, std::generic_category()).message();
}

// Closes `fd` either way.
std::string write_and_close(int fd, const fs::path& path, const Bytes& bytes) {
  std::string error;
  for (std::size_t done = 0; done < bytes.size() && error.empty();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno != EINTR) error = why("write", path);
    if (n > 0) done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0 && error.empty()) error = why("write", path);
  return error;
}

// Why `path` may not be written to before the run starts, or "".
std::string refusal(const fs::path& path, bool force, const InputFiles& inputs) {
  if (inputs.contains(path)) return is_an_input(path);
  std::error_code ec;
  if (!force && fs::exists(fs::symlink_status(path, ec)))
    return path.string() + " exists: --force replaces it";
  return {};
}

}  // namespace

InputFiles::InputFiles(const std::vector<fs::path>& files) {
  for (const fs::path& file : files) {
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0) ids_.emplace(st.st_dev, st.st_ino);
  }
}

bool InputFiles::contains(const fs::path& path) const {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && ids_.contains({st.st_dev, st.st_ino});
}

std::vector<PlannedOutput> plan_outputs(const BatchOptions& options,
                                        const std::vector<fs::path>& files,
                                        const InputFiles& inputs) {
  std::set<std::string> stems;
  for (const fs::path& file : files) stems.insert(file.stem().string());
  std::set<std::string> taken;
  const bool thumbnails_only = options.command == Command::kThumbnail;
  const std::string ext =
      thumbnails_only ? ".jpg" : std::string(extension(options.optimize.format));

  std::vector<PlannedOutput> plan(files.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    std::string name = files[i].stem().string();
    // A suffixed name avoids every input's stem, so that it cannot take the name of a later input.
    for (int n = 1; taken.contains(name); ++n) {
      const std::string candidate = files[i].stem().string() + "-" + std::to_string(n);
      if (!stems.contains(candidate)) name = candidate;
    }
    taken.insert(name);

    PlannedOutput& p = plan[i];
    p.output = options.out_dir / (name + ext);
    if (!thumbnails_only) p.original = options.out_dir / (name + files[i].extension().string());
    if (!thumbnails_only && !options.thumbnail_dir.empty())
      p.thumbnail = options.thumbnail_dir / (name + ".jpg");
    p.refused = refusal(p.output, options.force, inputs);
    if (p.refused.empty() && !p.thumbnail.empty())
      p.refused = refusal(p.thumbnail, options.force, inputs);
  }
  return plan;
}

std::string write_output(const fs::path& path, const Bytes& bytes, bool replace,
                         const InputFiles& inputs) {
  if (inputs.contains(path)) return is_an_input(path);
  if (!replace) {
    // O_EXCL: a file that appeared since the plan is refused, not replaced.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0)
      return errno == EEXIST ? path.string() + " exists: --force replaces it" : why("create", path);
    std::string error = write_and_close(fd, path, bytes);
    if (!error.empty()) ::unlink(path.c_str());
    return error;
  }
  // Renamed into place: a hard link to the earlier file keeps its bytes, and no reader sees half
  // an image.
  const fs::path temp = path.parent_path() / ("." + path.filename().string() + ".lumen-image-" +
                                              std::to_string(::getpid()));
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) return why("create", temp);
  std::string error = write_and_close(fd, temp, bytes);
  if (error.empty() && ::rename(temp.c_str(), path.c_str()) != 0) error = why("replace", path);
  if (!error.empty()) ::unlink(temp.c_str());
  return error;
}

}  // namespace lumen::image::cli
