// The usage examples at the top of the perf headers, compiled and run (with stand-ins for the
// application's types), so that they cannot drift from the API.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "lumen/metrics/meter.hpp"
#include "lumen/perf/batch.hpp"
#include "lumen/perf/key.hpp"
#include "lumen/perf/micro_batcher.hpp"
#include "lumen/perf/request_coalescer.hpp"
#include "lumen/perf/resource_pool.hpp"
#include "lumen/trace/tracer_provider.hpp"

namespace {

struct Provider {
  std::string analyze(int image_id, const std::string& model) {
    return model + "#" + std::to_string(image_id);
  }
};

TEST(PerfHeaderExamples, RequestCoalescer) {
  lumen::metrics::MeterProvider provider;
  lumen::trace::TracerProvider tracers({});
  lumen::trace::Tracer& tracer = tracers.tracer("example");
  Provider ai;
  const int image_id = 7;
  const std::string model = "gemini";

  lumen::perf::RequestCoalescer<std::string> analyses({.name = "analyze",
                                                       .ttl = std::chrono::seconds(30),
                                                       .max_entries = 10'000,
                                                       .meter = &provider.meter("beautifyai"),
                                                       .tracer = &tracer});
  const std::string key = lumen::perf::make_key("analyze", image_id, model, 0.7);
  std::string result = analyses.get(key, [&] { return ai.analyze(image_id, model); });
  analyses.invalidate_matching("^analyze:");

  EXPECT_EQ(result, "gemini#7");
  EXPECT_EQ(analyses.stats().entries, 0u);
}

TEST(PerfHeaderExamples, ProcessBatch) {
  std::vector<int> images{1, 2, 3};
  auto out = lumen::perf::process_batch(
      images, [](const int& img) { return img * 2; },
      {.batch_size = 100, .concurrency = 4, .timeout = std::chrono::seconds(2)});
  for (std::size_t i = 0; i < out.size(); ++i) EXPECT_TRUE(out[i].ok()) << out[i].message;
}

TEST(PerfHeaderExamples, MicroBatcher) {
  lumen::perf::MicroBatcher<std::string, std::size_t> embed(
      [](std::vector<std::string>& texts) {
        std::vector<std::size_t> sizes;
        for (const auto& t : texts) sizes.push_back(t.size());
        return sizes;
      },
      {.max_batch = 64, .max_delay = std::chrono::milliseconds(5)});
  EXPECT_EQ(embed.submit("a sentence"), 10u);
}

struct Connection {
  static Connection open(const char*, int) { return Connection{}; }
  bool is_open() const { return true; }
  void send(const char*) {}
};

TEST(PerfHeaderExamples, ResourcePool) {
  lumen::metrics::MeterProvider provider;
  lumen::metrics::Meter& meter = provider.meter("example");
  lumen::perf::ResourcePool<Connection> pool([] { return Connection::open("127.0.0.1", 6379); },
                                             {.name = "redis",
                                              .max_size = 8,
                                              .min_idle = 2,
                                              .acquire_timeout = std::chrono::milliseconds(200),
                                              .meter = &meter},
                                             [](Connection& c) { return c.is_open(); });
  {
    auto conn = pool.acquire();
    conn->send("PING");
  }
  EXPECT_EQ(pool.stats().idle, 2u);
}

}  // namespace
