#include "load_runner.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <numeric>
#include <thread>

#include "http_client.hpp"

namespace loadgen {
namespace {

using Clock = std::chrono::steady_clock;

// What one client thread saw.
struct Tally {
  std::vector<double> latencies_ms;
  std::map<int, std::uint64_t> statuses;
  std::uint64_t ok = 0;
};

void record(Tally& tally, int status, double ms) {
  tally.latencies_ms.push_back(ms);
  ++tally.statuses[status];
  if (status >= 200 && status < 300) ++tally.ok;
}

RunSummary merge(std::vector<Tally>& tallies, double seconds) {
  RunSummary summary;
  std::vector<double> all;
  for (auto& t : tallies) {
    all.insert(all.end(), t.latencies_ms.begin(), t.latencies_ms.end());
    for (const auto& [status, n] : t.statuses) summary.statuses[status] += n;
    summary.ok += t.ok;
  }
  summary.sent = all.size();
  summary.seconds = seconds;
  summary.throughput = seconds > 0 ? static_cast<double>(summary.ok) / seconds : 0;
  summarize_latencies(std::move(all), summary);
  return summary;
}

}  // namespace

void summarize_latencies(std::vector<double> latencies_ms, RunSummary& summary) {
  if (latencies_ms.empty()) return;
  std::sort(latencies_ms.begin(), latencies_ms.end());
  const auto rank = [&](double q) {
    const auto n = static_cast<double>(latencies_ms.size());
    const auto index = static_cast<std::size_t>(std::max(1.0, std::ceil(q * n))) - 1;
    return latencies_ms[std::min(index, latencies_ms.size() - 1)];
  };
  summary.mean_ms = std::accumulate(latencies_ms.begin(), latencies_ms.end(), 0.0) /
                    static_cast<double>(latencies_ms.size());
  summary.p50_ms = rank(0.50);
  summary.p90_ms = rank(0.90);
  summary.p99_ms = rank(0.99);
  summary.p999_ms = rank(0.999);
  summary.max_ms = latencies_ms.back();
}

RunSummary run_open_loop(const std::string& url, const std::vector<PlannedRequest>& plan,
                         const BodyOf& body, std::size_t connections) {
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<std::size_t> due;  // indexes into plan, in order
  bool planned_all = false;
  std::vector<Tally> tallies(std::max<std::size_t>(connections, 1));
  const auto start = Clock::now();

  std::vector<std::thread> clients;
  for (std::size_t c = 0; c < tallies.size(); ++c) {
    clients.emplace_back([&, c] {
      HttpClient client;
      for (;;) {
        std::size_t index = 0;
        {
          std::unique_lock lock(mutex);
          ready.wait(lock, [&] { return planned_all || !due.empty(); });
          if (due.empty()) return;
          index = due.front();
          due.pop_front();
        }
        const PlannedRequest& request = plan[index];
        const HttpResult result = client.post(url, body(request));
        const double ms =
            std::chrono::duration<double, std::milli>(Clock::now() - (start + request.at)).count();
        record(tallies[c], result.status, ms);
      }
    });
  }
  for (std::size_t i = 0; i < plan.size(); ++i) {
    std::this_thread::sleep_until(start + plan[i].at);
    {
      std::lock_guard lock(mutex);
      due.push_back(i);
    }
    ready.notify_one();
  }
  {
    std::lock_guard lock(mutex);
    planned_all = true;
  }
  ready.notify_all();
  for (auto& t : clients) t.join();
  return merge(tallies, std::chrono::duration<double>(Clock::now() - start).count());
}

RunSummary run_closed_loop(const std::string& url, std::size_t concurrency,
                           std::chrono::milliseconds duration,
                           const std::function<std::string(std::uint64_t)>& body) {
  std::atomic<std::uint64_t> sequence{0};
  std::vector<Tally> tallies(std::max<std::size_t>(concurrency, 1));
  const auto start = Clock::now();
  const auto end = start + duration;
  std::vector<std::thread> clients;
  for (std::size_t c = 0; c < tallies.size(); ++c) {
    clients.emplace_back([&, c] {
      HttpClient client;
      while (Clock::now() < end) {
        const std::string payload = body(sequence.fetch_add(1));
        const auto sent = Clock::now();
        const HttpResult result = client.post(url, payload);
        record(tallies[c], result.status,
               std::chrono::duration<double, std::milli>(Clock::now() - sent).count());
      }
    });
  }
  for (auto& t : clients) t.join();
  // Throughput over the planned duration: requests still in flight at the end finished late.
  return merge(tallies, std::chrono::duration<double>(Clock::now() - start).count());
}

}  // namespace loadgen
