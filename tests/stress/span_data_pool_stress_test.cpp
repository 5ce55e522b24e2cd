// The SpanData pool under threads that start spans on one side and recycle them on the other, as
// application threads and the export worker do: no object is handed out twice, none is handed out
// with another span's data, and per-thread caches survive their threads' exit.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "core/bounded_queue.hpp"
#include "lumen/trace/span_data_pool.hpp"

namespace lumen::trace {
namespace {

TEST(SpanDataPoolStress, ObjectsCrossThreadsWithoutBeingSharedOrCarryingOldData) {
  constexpr int kProducers = 3;
  constexpr int kPerProducer = 20'000;
  BoundedQueue<SpanData*> handoff(512);
  std::atomic<int> producers_left{kProducers};
  std::atomic<int> stale{0};

  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i) {
        std::unique_ptr<SpanData> span = make_span_data();
        // Cleared on reuse, except the name, which every user overwrites.
        if (!span->attributes.empty() || span->start_ns != 0) ++stale;
        span->name = "span-" + std::to_string(p);
        span->start_ns = static_cast<std::uint64_t>(i) + 1;
        span->attributes.set("producer", static_cast<std::int64_t>(p));
        SpanData* raw = span.release();
        while (!handoff.try_push(raw)) std::this_thread::yield();
      }
      --producers_left;
    });
  }
  // The recycler checks that each span still holds what its producer wrote, i.e. nobody else got
  // the same object meanwhile, and gives it back from this thread.
  // Every other handful goes back through the batch form, to the pool of either CPU, as the
  // batch processor's worker returns them.
  int recycled = 0;
  int corrupted = 0;
  std::vector<std::unique_ptr<SpanData>> handful;
  std::size_t handfuls = 0;
  SpanData* raw = nullptr;
  while (producers_left.load() > 0 || handoff.size_approx() > 0) {
    if (!handoff.try_pop(raw)) {
      std::this_thread::yield();
      continue;
    }
    std::unique_ptr<SpanData> span(raw);
    const AttributeValue* producer = span->attributes.find("producer");
    if (producer == nullptr ||
        span->name != "span-" + std::to_string(std::get<std::int64_t>(*producer))) {
      ++corrupted;
    }
    ++recycled;
    if (handfuls % 2 == 0) {
      recycle(std::move(span));
    } else {
      handful.push_back(std::move(span));
    }
    if (recycled % 40 == 0) {
      recycle(std::span(handful), handfuls % 4 / 2);
      handful.clear();
      ++handfuls;
    }
  }
  recycle(std::span(handful), 0);
  for (auto& t : producers) t.join();
  EXPECT_EQ(recycled, kProducers * kPerProducer);
  EXPECT_EQ(corrupted, 0);
  EXPECT_EQ(stale.load(), 0);
}

}  // namespace
}  // namespace lumen::trace
