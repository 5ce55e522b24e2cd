// loadgen: an open-loop load generator for the BeautifyAI gateway, and the success-criteria check.
//
//   loadgen --target http://127.0.0.1:8080 [--rate 40] [--seconds 10] [--documents 400]
//           [--zipf 1.1] [--images DIR] [--image-share 0.1] [--connections 256] [--seed 7]
//   loadgen --target ... --compare [--phase-seconds 8] [--json FILE] [--require]
//           [--batch-clients 64] [--other-models 0.25] [--batch-runs 3]
//
// --compare runs the same workload with the gateway's optimizations off and then on (switched
// through its /control routes) and prints the original design's success criteria with the values
// measured; --require makes the exit status 1 when a criterion is missed.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base64.hpp"
#include "command_line.hpp"
#include "http_client.hpp"
#include "load_runner.hpp"
#include "lumen/beautifyai/model_catalog.hpp"
#include "workload.hpp"

namespace {

using json = nlohmann::json;

struct Options {
  std::string target = "http://127.0.0.1:8080";
  std::string admin = "http://127.0.0.1:9464";  // the gateway's admin endpoint: /control/*
  loadgen::WorkloadOptions workload;
  std::string image_dir;
  std::size_t connections = 256;
  bool compare = false;
  double phase_seconds = 8;
  std::size_t batch_concurrency = 64;
  double other_models = 0;     // share of the saturated phases' requests naming another model
  std::size_t batch_runs = 1;  // times the saturated pair is run; the gain is their median
  std::string json_out;
  bool require = false;
};

// The base64 form of every image in a folder, for JSON bodies.
std::vector<std::string> load_images(const std::string& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string ext = entry.path().extension().string();
    if (ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".webp")
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> encoded;
  for (const auto& file : files) {
    std::vector<std::uint8_t> bytes(std::filesystem::file_size(file));
    std::ifstream in(file, std::ios::binary);
    in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!in) throw std::runtime_error("cannot read " + file.string());
    encoded.push_back(apps::base64_encode(bytes));
  }
  return encoded;
}

std::string document_text(const std::string& salt, std::size_t index) {
  return "Document " + salt + "-" + std::to_string(index) +
         ": quarterly report with tables, a summary and a request to improve its tone and layout.";
}

void print_summary(const char* name, const loadgen::RunSummary& s) {
  std::printf(
      "%-22s sent %6llu  ok %6llu  %7.1f req/s  mean %7.1f  p50 %7.1f  p90 %7.1f  p99 %7.1f  max "
      "%7.1f ms",
      name, static_cast<unsigned long long>(s.sent), static_cast<unsigned long long>(s.ok),
      s.throughput, s.mean_ms, s.p50_ms, s.p90_ms, s.p99_ms, s.max_ms);
  for (const auto& [status, n] : s.statuses) {
    if (status != 200) std::printf("  [%d x%llu]", status, static_cast<unsigned long long>(n));
  }
  std::printf("\n");
  std::fflush(stdout);
}

// The gateway's counters, read from GET /control/stats.
struct Counters {
  double upstream_inputs = 0;
  double upstream_calls = 0;
  double image_in = 0;
  double image_out = 0;
  double cpu_seconds = 0;
  double requests = 0;
};

Counters read_counters(loadgen::HttpClient& http, const std::string& target) {
  const auto r = http.get(target + "/control/stats");
  const json body = json::parse(r.body, nullptr, false);
  if (r.status != 200 || !body.is_object()) {
    throw std::runtime_error("cannot read " + target + "/control/stats (status " +
                             std::to_string(r.status) + ")");
  }
  return {body.value("upstream_inputs", 0.0), body.value("upstream_calls", 0.0),
          body.value("image_bytes_in", 0.0),  body.value("image_bytes_out", 0.0),
          body.value("cpu_seconds", 0.0),     body.value("requests", 0.0)};
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

Counters operator-(const Counters& a, const Counters& b) {
  return {a.upstream_inputs - b.upstream_inputs,
          a.upstream_calls - b.upstream_calls,
          a.image_in - b.image_in,
          a.image_out - b.image_out,
          a.cpu_seconds - b.cpu_seconds,
          a.requests - b.requests};
}

void set_optimizations(loadgen::HttpClient& http, const std::string& target, const json& flags) {
  const auto r = http.post(target + "/control/optimizations", flags.dump());
  if (r.status != 200)
    throw std::runtime_error("the gateway refused /control/optimizations: " + r.body);
}

struct Phase {
  loadgen::RunSummary run;
  Counters delta;
};

int compare(const Options& o, const std::vector<std::string>& images) {
  loadgen::HttpClient control;
  const std::string analyze = o.target + "/v1/analyze";
  loadgen::WorkloadOptions workload = o.workload;
  workload.duration = std::chrono::milliseconds(static_cast<std::int64_t>(o.phase_seconds * 1000));
  workload.images = images.size();
  const auto plan = loadgen::plan_open_loop(workload);
  const std::string run_salt =
      std::to_string(std::chrono::system_clock::now().time_since_epoch().count());

  // `with_images`: the tracing phases leave images out, so that the CPU time they compare is the
  // gateway's own work and not dominated by (and as noisy as) image encoding.
  const auto open_phase = [&](const char* name, const json& flags, bool with_images) {
    set_optimizations(control, o.admin, flags);
    const std::string salt = run_salt + name;
    const Counters before = read_counters(control, o.admin);
    Phase p;
    p.run = loadgen::run_open_loop(
        analyze, plan,
        [&](const loadgen::PlannedRequest& r) {
          json body{{"user_id", "user-" + std::to_string(r.document % 97)},
                    {"tier", r.tier},
                    {"document", document_text(salt, r.document)}};
          if (with_images && r.image >= 0)
            body["images"] = json::array({images[static_cast<std::size_t>(r.image)]});
          return body.dump();
        },
        o.connections);
    p.delta = read_counters(control, o.admin) - before;
    print_summary(name, p.run);
    return p;
  };
  // The saturated phases' requests name no model, so the gateway uses its first choice (the
  // catalog's first, gemini-2.0-flash), except a share (--other-models) spread evenly over the
  // rest.
  std::vector<std::string> others;
  for (const auto& model : lumen::beautifyai::model_catalog().subspan(1))
    others.emplace_back(model.name);
  const auto closed_phase = [&](const std::string& name, const json& flags) {
    set_optimizations(control, o.admin, flags);
    const std::string salt = run_salt + name;
    const Counters before = read_counters(control, o.admin);
    Phase p;
    p.run = loadgen::run_closed_loop(
        analyze, o.batch_concurrency, workload.duration, [&](std::uint64_t n) {
          json body{{"user_id", "user-" + std::to_string(n % 97)},
                    {"tier", "pro"},
                    {"document", document_text(salt, n)}};
          // Every request's position in [0, 1) by the golden ratio: an even spread at any share.
          const double position = std::fmod(static_cast<double>(n) * 0.6180339887498949, 1.0);
          if (position < o.other_models && !others.empty())
            body["model"] = others[n % others.size()];
          return body.dump();
        });
    p.delta = read_counters(control, o.admin) - before;
    print_summary(name.c_str(), p.run);
    return p;
  };

  std::printf(
      "Workload: Poisson arrivals at %.0f/s for %.0f s per phase, %zu documents (Zipf s=%.2f), "
      "%zu images (%.0f %% of documents), %zu connections\n\n",
      workload.rate, o.phase_seconds, workload.documents, workload.zipf_exponent, images.size(),
      workload.image_share * 100, o.connections);
  const json all_on{{"coalescing", true}, {"batching", true}, {"images", true}, {"tracing", true}};
  // Warm-up: connections, libvips and the allocator, so that the first measured phase is not
  // charged for them.
  loadgen::WorkloadOptions warm = workload;
  warm.duration = std::chrono::seconds(2);
  set_optimizations(control, o.admin, all_on);
  (void)loadgen::run_open_loop(
      analyze, loadgen::plan_open_loop(warm),
      [&](const loadgen::PlannedRequest& r) {
        return json{{"user_id", "warm-up"},
                    {"document", document_text(run_salt + "warm", r.document)}}
            .dump();
      },
      o.connections);
  json tracing_off = all_on;
  tracing_off["tracing"] = false;
  const Phase untraced = open_phase("tracing off", tracing_off, false);
  const Phase traced = open_phase("tracing on", all_on, false);
  const Phase baseline = open_phase(
      "optimizations off",
      {{"coalescing", false}, {"batching", false}, {"images", false}, {"tracing", true}}, true);
  const Phase optimized = open_phase("optimizations on", all_on, true);
  // The saturated pair, --batch-runs times, so that the gain's spread is seen: the two sides of a
  // run follow each other, so a slow spell of the machine hits both.
  std::vector<double> batching_gains;
  std::vector<double> unbatched_rates;
  std::vector<double> batched_rates;
  json no_batching = all_on;
  no_batching["batching"] = false;
  for (std::size_t run = 0; run < o.batch_runs; ++run) {
    const std::string suffix = o.batch_runs > 1 ? " #" + std::to_string(run + 1) : "";
    const Phase unbatched = closed_phase("saturated, no batching" + suffix, no_batching);
    const Phase batched = closed_phase("saturated, batching" + suffix, all_on);
    unbatched_rates.push_back(unbatched.run.throughput);
    batched_rates.push_back(batched.run.throughput);
    batching_gains.push_back(
        unbatched.run.throughput > 0 ? batched.run.throughput / unbatched.run.throughput - 1 : 0);
  }
  set_optimizations(control, o.admin, all_on);

  const auto per_request = [](const Phase& p) {
    return p.delta.requests > 0 ? p.delta.cpu_seconds / p.delta.requests : 0.0;
  };
  // Signed: on a quiet machine it is small and positive; noise can make it negative.
  const double added_cpu = per_request(traced) - per_request(untraced);
  const double tracing_overhead =
      untraced.run.mean_ms > 0 ? added_cpu / (untraced.run.mean_ms / 1e3) : 0;
  const double calls_removed =
      baseline.delta.upstream_inputs > 0
          ? 1 - optimized.delta.upstream_inputs / baseline.delta.upstream_inputs
          : 0;
  const double image_saved =
      optimized.delta.image_in > 0 ? 1 - optimized.delta.image_out / optimized.delta.image_in : 0;
  const double batching_gain = median(batching_gains);
  const double latency_cut =
      baseline.run.mean_ms > 0 ? 1 - optimized.run.mean_ms / baseline.run.mean_ms : 0;

  struct Row {
    const char* name;
    const char* goal;
    double value;
    bool met;
    std::string detail;
  };
  char detail[256];
  std::vector<Row> rows;
  std::snprintf(detail, sizeof detail,
                "+%.3f ms CPU/request; p99 %.0f -> %.0f ms, %.1f -> %.1f req/s", added_cpu * 1e3,
                untraced.run.p99_ms, traced.run.p99_ms, untraced.run.throughput,
                traced.run.throughput);
  rows.push_back(
      {"tracing overhead", "< 1 %", tracing_overhead * 100, tracing_overhead < 0.01, detail});
  std::snprintf(detail, sizeof detail, "%.0f -> %.0f documents sent to models",
                baseline.delta.upstream_inputs, optimized.delta.upstream_inputs);
  rows.push_back({"duplicate upstream calls removed", ">= 30 %", calls_removed * 100,
                  calls_removed >= 0.30, detail});
  std::snprintf(detail, sizeof detail, "%.1f -> %.1f MB", optimized.delta.image_in / 1e6,
                optimized.delta.image_out / 1e6);
  rows.push_back({"image bytes saved", ">= 50 %", image_saved * 100, image_saved >= 0.50, detail});
  if (o.batch_runs > 1) {
    std::snprintf(
        detail, sizeof detail,
        "median of %zu runs (gain %.0f .. %.0f %%): %.1f -> %.1f req/s, %zu clients, %.0f %% other "
        "models",
        o.batch_runs, *std::min_element(batching_gains.begin(), batching_gains.end()) * 100,
        *std::max_element(batching_gains.begin(), batching_gains.end()) * 100,
        median(unbatched_rates), median(batched_rates), o.batch_concurrency, o.other_models * 100);
  } else {
    std::snprintf(detail, sizeof detail, "%.1f -> %.1f req/s, %zu clients, %.0f %% other models",
                  unbatched_rates[0], batched_rates[0], o.batch_concurrency, o.other_models * 100);
  }
  rows.push_back({"throughput gain from batching", ">= 40 %", batching_gain * 100,
                  batching_gain >= 0.40, detail});
  std::snprintf(detail, sizeof detail, "mean %.0f -> %.0f ms, p50 %.0f -> %.0f ms",
                baseline.run.mean_ms, optimized.run.mean_ms, baseline.run.p50_ms,
                optimized.run.p50_ms);
  rows.push_back(
      {"overall latency reduction", ">= 25 %", latency_cut * 100, latency_cut >= 0.25, detail});

  std::printf("\nSuccess criteria (measured on this run)\n");
  std::printf("| %-32s | %-8s | %9s | %-4s | %s\n", "criterion", "goal", "measured", "met", "how");
  bool all_met = true;
  json report = json::object();
  for (const Row& r : rows) {
    std::printf("| %-32s | %-8s | %8.2f%% | %-4s | %s\n", r.name, r.goal, r.value,
                r.met ? "yes" : "NO", r.detail.c_str());
    all_met = all_met && r.met;
    report[r.name] = {{"percent", r.value}, {"met", r.met}, {"goal", r.goal}, {"detail", r.detail}};
  }
  std::printf(
      "\nTracing overhead is the gateway CPU time tracing adds to a request, as a share of the "
      "mean\n"
      "request latency (with tracing off); p99 and throughput are shown beside it.\n");
  if (!o.json_out.empty()) {
    std::ofstream out(o.json_out);
    out << report.dump(2) << '\n';
  }
  return o.require && !all_met ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  constexpr double kNoMax = std::numeric_limits<double>::max();
  apps::CommandLine cli("loadgen",
                        "An open-loop load generator for the BeautifyAI gateway, and the check of "
                        "its success criteria (--compare).");
  cli.text("--target", "URL", "the gateway's base URL", o.target);
  cli.text("--admin", "URL",
           "with --compare, the gateway's admin endpoint (its METRICS_PORT), where /control/* is",
           o.admin);
  cli.number("--rate", "N", "requests per second (Poisson arrivals)", o.workload.rate, 0.0, kNoMax,
             true);
  cli.custom("--seconds", "N", "length of the run; with --compare, of each phase", "10",
             [&](std::string_view text) {
               double seconds = 0;
               std::string why = apps::parse_number(text, seconds, 0.0, kNoMax, true);
               if (why.empty()) {
                 o.workload.duration =
                     std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
                 o.phase_seconds = seconds;
               }
               return why;
             });
  cli.number("--documents", "N", "distinct documents", o.workload.documents, std::size_t{1});
  cli.number("--zipf", "S", "Zipf exponent of document popularity", o.workload.zipf_exponent, 0.0,
             kNoMax, true);
  cli.custom("--images", "DIR", "attach the .jpg, .png and .webp images in DIR", "none",
             [&](std::string_view dir) {
               std::error_code ec;
               if (!std::filesystem::is_directory(dir, ec))
                 return "'" + std::string(dir) + "' is not a directory";
               o.image_dir = std::string(dir);
               return std::string();
             });
  cli.number("--image-share", "F", "share of documents that carry an image", o.workload.image_share,
             0.0, 1.0, true);
  cli.number("--connections", "N", "connections at most at once", o.connections, std::size_t{1});
  cli.number("--seed", "N", "seed of the workload (a seed repeats it)", o.workload.seed,
             std::uint64_t{0});
  cli.flag("--compare",
           "run with the gateway's optimizations off, then on, and print the success criteria",
           o.compare);
  cli.number("--phase-seconds", "N", "length of each --compare phase (--seconds sets it too)",
             o.phase_seconds, 0.0, kNoMax, true);
  cli.number("--batch-clients", "N",
             "with --compare, closed-loop clients of the saturated (batching) phases",
             o.batch_concurrency, std::size_t{1}, std::size_t{10'000});
  cli.number("--other-models", "F",
             "with --compare, share of the saturated phases' requests that name another model than "
             "gemini-2.0-flash (spread over the others)",
             o.other_models, 0.0, 1.0);
  cli.number("--batch-runs", "N",
             "with --compare, times the saturated pair runs; the batching gain is their median",
             o.batch_runs, std::size_t{1}, std::size_t{100});
  cli.text("--json", "FILE", "with --compare, also write the criteria as JSON to FILE", o.json_out);
  cli.flag("--require", "with --compare, exit with status 1 when a criterion is missed", o.require);
  cli.epilog(
      "Exit status: 0 done, 1 a failure (or a missed criterion with --require), 2 usage error.\n");
  if (const std::optional<int> status = cli.parse(argc, argv)) return *status;
  try {
    const std::vector<std::string> images =
        o.image_dir.empty() ? std::vector<std::string>{} : load_images(o.image_dir);
    if (!o.image_dir.empty() && images.empty()) {
      return cli.fail("--images: no .jpg, .png or .webp image in " + o.image_dir);
    }
    if (o.compare) return compare(o, images);
    loadgen::WorkloadOptions workload = o.workload;
    workload.images = images.size();
    const auto plan = loadgen::plan_open_loop(workload);
    const auto summary = loadgen::run_open_loop(
        o.target + "/v1/analyze", plan,
        [&](const loadgen::PlannedRequest& r) {
          json body{{"user_id", "user-" + std::to_string(r.document % 97)},
                    {"tier", r.tier},
                    {"document", document_text("load", r.document)}};
          if (r.image >= 0)
            body["images"] = json::array({images[static_cast<std::size_t>(r.image)]});
          return body.dump();
        },
        o.connections);
    print_summary("run", summary);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "loadgen: %s\n", e.what());
    return 1;
  }
  return 0;
}
