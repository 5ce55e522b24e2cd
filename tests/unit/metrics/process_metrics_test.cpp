#include "lumen/metrics/process_metrics.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <future>
#include <map>
#include <thread>

#include "lumen/metrics/prometheus.hpp"

namespace lumen::metrics {
namespace {

std::map<std::string, double> values(const MetricsSnapshot& snap) {
  std::map<std::string, double> out;
  for (const MetricData& m : snap.metrics) {
    if (!m.number_points.empty()) out[m.name] = m.number_points[0].value;
  }
  return out;
}

TEST(ProcessMetrics, ReportsPlausibleValuesForThisProcess) {
  MeterProvider provider;
  ProcessMetrics process(provider.meter("process"));
  const auto v = values(provider.collect());
  ASSERT_EQ(v.size(), 7U);
  EXPECT_GT(v.at("process_resident_memory_bytes"), 1 << 20);  // a test binary needs more than 1 MiB
  EXPECT_GE(v.at("process_virtual_memory_bytes"), v.at("process_resident_memory_bytes"));
  EXPECT_GE(v.at("process_cpu_seconds_total"), 0.0);
  EXPECT_GE(v.at("process_threads"), 1.0);
  EXPECT_GE(v.at("process_open_fds"), 3.0);  // stdin, stdout, stderr at least
  EXPECT_GE(v.at("process_max_fds"), v.at("process_open_fds"));
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_LE(v.at("process_start_time_seconds"), now + 1);
  EXPECT_GT(v.at("process_start_time_seconds"), now - 24 * 3600);  // started today, not in 1970
}

TEST(ProcessMetrics, OpenFdsGrowsWhenFilesAreOpened) {
  MeterProvider provider;
  ProcessMetrics process(provider.meter("process"));
  const double before = values(provider.collect()).at("process_open_fds");
  std::vector<int> fds;
  for (int i = 0; i < 5; ++i) fds.push_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const double during = values(provider.collect()).at("process_open_fds");
  for (int fd : fds) ::close(fd);
  EXPECT_EQ(during - before, 5.0);
}

TEST(ProcessMetrics, ThreadsGrowsWithAStartedThread) {
  MeterProvider provider;
  ProcessMetrics process(provider.meter("process"));
  // A first thread may bring helpers of the runtime with it (ThreadSanitizer starts its own
  // background thread then): start and join one before counting.
  std::thread([] {}).join();
  // Other threads of the process may end meanwhile (a joined thread stays listed for a moment, a
  // worker of an earlier test may finish on its own), so the count is taken again when it moved
  // by anything but the started thread; a count that never follows fails all five tries.
  double before = 0;
  double during = 0;
  for (int attempt = 0; attempt < 5; ++attempt) {
    before = values(provider.collect()).at("process_threads");
    std::promise<void> stop;
    std::thread t([f = stop.get_future()]() mutable { f.wait(); });
    during = values(provider.collect()).at("process_threads");
    stop.set_value();
    t.join();
    if (during == before + 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(during, before + 1);
}

TEST(ProcessMetrics, ExposedWithThePrometheusConventionalNames) {
  MeterProvider provider;
  ProcessMetrics process(provider.meter("process"));
  const std::string text = serialize(provider.collect(), ExpositionFormat::kPrometheusText);
  for (const char* name :
       {"\nprocess_resident_memory_bytes ", "\nprocess_virtual_memory_bytes ",
        "\nprocess_cpu_seconds_total ", "\nprocess_open_fds ", "\nprocess_max_fds ",
        "\nprocess_threads ", "\nprocess_start_time_seconds "}) {
    EXPECT_NE(text.find(name), std::string::npos) << name << " in\n" << text;
  }
  EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter"), std::string::npos) << text;
}

TEST(ProcessMetrics, ParsesAStatLineWhoseCommandContainsParenthesesAndSpaces) {
  // Fields 1..24 of /proc/<pid>/stat; the command is "(a) b".
  const std::string stat =
      "42 ((a) b) S 1 42 42 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 7 0 1000 123456789 300 "
      "18446744073709551615\n";
  const ProcessSample s = parse_proc_stat(stat, 100, 4096, 1'700'000'000);
  EXPECT_DOUBLE_EQ(s.cpu_seconds.value(), 4.0);  // (250 + 150) / 100
  EXPECT_EQ(s.threads.value(), 7U);
  EXPECT_DOUBLE_EQ(s.start_time_seconds.value(), 1'700'000'010.0);
  EXPECT_EQ(s.virtual_memory_bytes.value(), 123456789U);
  EXPECT_EQ(s.resident_memory_bytes.value(), 300U * 4096U);
  EXPECT_FALSE(parse_proc_stat("garbage", 100, 4096, 0).cpu_seconds.has_value());
  EXPECT_FALSE(parse_proc_stat(stat, 100, 4096, std::nullopt).start_time_seconds.has_value());
}

}  // namespace
}  // namespace lumen::metrics
