#include "batch.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <iterator>
#include <mutex>
#include <system_error>
#include <thread>

#include "outputs.hpp"

namespace lumen::image::cli {
namespace fs = std::filesystem;

namespace {

bool has_image_extension(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  for (const char* known :
       {".jpg", ".jpeg", ".png", ".webp", ".gif", ".tif", ".tiff", ".heic", ".heif", ".avif"}) {
    if (ext == known) return true;
  }
  return false;
}

bool read_file(const fs::path& path, Bytes& out, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open " + path.string();
    return false;
  }
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) {
    error = "cannot read " + path.string();
    return false;
  }
  return true;
}

void process_one(const ImageOptimizer& optimizer, const BatchOptions& o, const fs::path& file,
                 const PlannedOutput& plan, const InputFiles& inputs, Entry& e) {
  e.input = file.string();
  e.error = plan.refused;
  if (!e.error.empty()) return;
  Bytes input;
  if (!read_file(file, input, e.error)) return;
  e.bytes_in = input.size();

  if (o.command == Command::kThumbnail) {
    auto t = optimizer.generate_thumbnail(input, o.thumbnail_size);
    if (!t) {
      e.error = std::string(to_string(t.error().kind)) + ": " + t.error().message;
      return;
    }
    if (auto meta = optimizer.read_metadata(input)) {
      e.width_in = meta.value().width;
      e.height_in = meta.value().height;
    }
    e.error = write_output(plan.output, t.value().bytes, o.force, inputs);
    if (!e.error.empty()) return;
    e.output = plan.output.string();
    e.bytes_out = t.value().bytes.size();
    e.width_out = t.value().width;
    e.height_out = t.value().height;
    return;
  }

  const OptimizedImage* opt = nullptr;
  ImageResult<ProcessedImage> both = ImageError{};
  ImageResult<OptimizedImage> alone = ImageError{};
  if (!o.thumbnail_dir.empty()) {
    both = optimizer.process(input, o.optimize, o.thumbnail_size);
    if (!both) {
      e.error = std::string(to_string(both.error().kind)) + ": " + both.error().message;
      return;
    }
    opt = &both.value().optimized;
  } else {
    alone = optimizer.optimize_for_analysis(input, o.optimize);
    if (!alone) {
      e.error = std::string(to_string(alone.error().kind)) + ": " + alone.error().message;
      return;
    }
    opt = &alone.value();
  }
  // An input returned unchanged keeps its own format, hence its extension; when that names the
  // input itself (--out is the input's folder), the input is its own output.
  const fs::path& out = opt->is_original ? plan.original : plan.output;
  std::error_code ec;
  if (!(opt->is_original && fs::equivalent(out, file, ec))) {
    e.error = write_output(out, opt->bytes, o.force, inputs);
    if (!e.error.empty()) return;
  }
  e.output = out.string();
  e.bytes_out = opt->bytes.size();
  e.width_in = opt->original.width;
  e.height_in = opt->original.height;
  e.width_out = opt->width;
  e.height_out = opt->height;
  e.unchanged = opt->is_original;
  if (both) {
    e.error = write_output(plan.thumbnail, both.value().thumbnail.bytes, o.force, inputs);
    if (!e.error.empty()) return;
    e.thumbnail = plan.thumbnail.string();
    e.thumbnail_bytes = both.value().thumbnail.bytes.size();
  }
}

}  // namespace

double reduction_percent(std::uint64_t in, std::uint64_t out) {
  return in == 0 ? 0.0
                 : 100.0 * (static_cast<double>(in) - static_cast<double>(out)) /
                       static_cast<double>(in);
}

std::vector<fs::path> expand_inputs(const std::vector<fs::path>& inputs,
                                    std::vector<std::string>& problems) {
  std::vector<fs::path> files;
  for (const fs::path& p : inputs) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<fs::path> found;
      for (const auto& entry : fs::directory_iterator(p, ec)) {
        if (entry.is_regular_file(ec) && has_image_extension(entry.path()))
          found.push_back(entry.path());
      }
      if (ec) problems.push_back("cannot list " + p.string() + ": " + ec.message());
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(p, ec)) {
      files.push_back(p);
    } else {
      problems.push_back("no such file or directory: " + p.string());
    }
  }
  return files;
}

std::vector<Entry> run_batch(const BatchOptions& options, const std::vector<fs::path>& files,
                             const std::function<void(const Entry&, std::size_t done)>& on_done) {
  const ImageOptimizer optimizer;
  const InputFiles inputs(files);
  const std::vector<PlannedOutput> plan = plan_outputs(options, files, inputs);
  std::vector<Entry> entries(files.size());
  std::atomic<std::size_t> next{0};
  std::size_t done = 0;
  std::mutex report;
  auto worker = [&] {
    for (std::size_t i = next.fetch_add(1); i < files.size(); i = next.fetch_add(1)) {
      const auto start = std::chrono::steady_clock::now();
      process_one(optimizer, options, files[i], plan[i], inputs, entries[i]);
      entries[i].reduction_percent = reduction_percent(entries[i].bytes_in, entries[i].bytes_out);
      entries[i].milliseconds =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count();
      std::lock_guard lock(report);
      on_done(entries[i], ++done);
    }
  };
  const auto jobs = static_cast<std::size_t>(std::max(1, options.jobs));
  std::vector<std::jthread> threads;
  for (std::size_t t = 1; t < std::min(jobs, files.size()); ++t) threads.emplace_back(worker);
  worker();
  threads.clear();  // join before `entries` is handed back
  return entries;
}

}  // namespace lumen::image::cli
