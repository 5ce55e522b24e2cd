#include "lumen/perf/batch.hpp"

#include <gtest/gtest.h>
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "lumen/export/memory_exporter.hpp"
#include "lumen/trace/tracer_provider.hpp"

namespace lumen::perf {
namespace {

using namespace std::chrono_literals;

TEST(ProcessBatch, ResultsComeBackInInputOrder) {
  std::vector<int> items(50);
  for (int i = 0; i < 50; ++i) items[static_cast<std::size_t>(i)] = i;
  // Later items finish first, so completion order is not input order.
  auto out = process_batch(items,
                           [](const int& v) {
                             if (v % 2 == 0) std::this_thread::yield();
                             return v * v;
                           },
                           {.batch_size = 10, .concurrency = 4});
  ASSERT_EQ(out.size(), 50u);
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(out[static_cast<std::size_t>(i)].ok());
    EXPECT_EQ(*out[static_cast<std::size_t>(i)].value, i * i);
  }
}

TEST(ProcessBatch, OneFailureDoesNotFailTheOthersAndSaysWhy) {
  auto out = process_batch(std::vector<int>{1, 2, 3, 4}, [](const int& v) {
    if (v == 3) throw std::invalid_argument("three is not allowed");
    return std::to_string(v);
  });
  ASSERT_EQ(out.size(), 4u);
  EXPECT_TRUE(out[0].ok());
  EXPECT_TRUE(out[1].ok());
  EXPECT_EQ(out[2].status, ItemStatus::kFailed);
  EXPECT_EQ(out[2].message, "three is not allowed");
  EXPECT_THROW(std::rethrow_exception(out[2].error), std::invalid_argument);
  EXPECT_EQ(*out[3].value, "4");
}

TEST(ProcessBatch, AtMostConcurrencyItemsRunAtOnce) {
  auto running = std::make_shared<std::atomic<int>>(0);
  auto peak = std::make_shared<std::atomic<int>>(0);
  const auto bound = std::chrono::steady_clock::now() + 5s;  // for the whole batch
  auto out = process_batch(
      std::vector<int>(40, 0),
      [running, peak, bound](const int&) {
        const int now = ++*running;
        int p = peak->load();
        while (now > p && !peak->compare_exchange_weak(p, now)) {
        }
        // Hold the slot until a second item runs beside it (a sleep could end before another
        // worker got a core); a batch that ran one item at a time fails after the bound.
        while (peak->load() < 2 && std::chrono::steady_clock::now() < bound) {
          std::this_thread::sleep_for(100us);
        }
        std::this_thread::sleep_for(1ms);  // and a while longer, so that more overlap if they may
        --*running;
        return 0;
      },
      {.concurrency = 3});
  EXPECT_LE(peak->load(), 3);
  EXPECT_GE(peak->load(), 2);
  for (const auto& o : out) EXPECT_TRUE(o.ok());
}

TEST(ProcessBatch, ABatchStartsOnlyAfterThePreviousOneFinished) {
  auto mu = std::make_shared<std::mutex>();
  auto log = std::make_shared<std::vector<std::pair<int, bool>>>();  // (item, start?)
  (void)process_batch(std::vector<int>{0, 1, 2, 3, 4, 5},
                      [mu, log](const int& v) {
                        {
                          std::lock_guard lock(*mu);
                          log->emplace_back(v, true);
                        }
                        std::this_thread::yield();
                        std::lock_guard lock(*mu);
                        log->emplace_back(v, false);
                        return v;
                      },
                      {.batch_size = 2, .concurrency = 4});
  // Every item of batch b ends before any item of batch b+1 starts.
  int ended_in_batch[3] = {0, 0, 0};
  for (const auto& [item, start] : *log) {
    const int b = item / 2;
    if (start && b > 0) {
      EXPECT_EQ(ended_in_batch[b - 1], 2) << "item " << item;
    }
    if (!start) ++ended_in_batch[b];
  }
}

TEST(ProcessBatch, SlowItemTimesOutWhileTheOthersComplete) {
  auto release = std::make_shared<std::promise<void>>();
  std::shared_future<void> released = release->get_future().share();
  auto straggler_done = std::make_shared<std::atomic<bool>>(false);
  const auto start = std::chrono::steady_clock::now();
  auto out = process_batch(std::vector<int>{0, 1, 2},
                           [released, straggler_done](const int& v) {
                             if (v == 1) {
                               released.wait();
                               straggler_done->store(true);
                             }
                             return v;
                           },
                           // Items 0 and 2 must be committed within it by workers that may
                           // wait for a core: 30 ms was within a loaded machine's reach.
                           {.concurrency = 3, .timeout = 500ms});
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_TRUE(out[0].ok());
  EXPECT_EQ(out[1].status, ItemStatus::kTimedOut);
  EXPECT_NE(out[1].message.find("timeout"), std::string::npos);
  EXPECT_FALSE(out[1].value.has_value());
  EXPECT_TRUE(out[2].ok());
  // The straggler was not cancelled; let it finish and check its late result changed nothing.
  release->set_value();
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while (!straggler_done->load() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_TRUE(straggler_done->load());
  EXPECT_EQ(out[1].status, ItemStatus::kTimedOut);
}

TEST(ProcessBatch, EmptyInputGivesEmptyOutput) {
  EXPECT_TRUE(process_batch(std::vector<int>{}, [](const int& v) { return v; }).empty());
}

TEST(ProcessBatch, ItemsRunInTheCallersTraceContext) {
  auto memory = std::make_shared<exporters::InMemorySpanExporter>();
  trace::TracerProvider provider(
      {.processor = std::make_unique<trace::SimpleSpanProcessor>(memory)});
  trace::Tracer& tracer = provider.tracer("test");
  SpanContext parent;
  tracer.trace("batch", [&](trace::Span& span) {
    parent = span.context();
    (void)process_batch(std::vector<int>{1, 2}, [&tracer](const int& v) {
      tracer.trace("item", [] {});
      return v;
    });
  });
  int items = 0;
  for (const auto& s : memory->spans()) {
    if (s.name != "item") continue;
    ++items;
    EXPECT_EQ(s.context.trace_id(), parent.trace_id());
    EXPECT_EQ(s.parent_span_id, parent.span_id());
  }
  EXPECT_EQ(items, 2);
}

TEST(ProcessBatch, ReturnsOnlyOnceItsWorkersNoLongerHoldTheFunctionOrTheItems) {
  // The items and the function are destroyed by the caller's thread, before the call returns, when
  // no item timed out: no worker is left running with them behind the caller's back.
  auto probe = std::make_shared<int>(0);
  for (int round = 0; round < 20; ++round) {
    auto out = process_batch(std::vector<std::shared_ptr<int>>(8, probe),
                             [probe](const std::shared_ptr<int>&) {
                               char name[16] = {};
                               pthread_getname_np(pthread_self(), name, sizeof name);
                               return std::string(name);
                             },
                             {.concurrency = 4});
    ASSERT_EQ(out.size(), 8u);
    ASSERT_EQ(probe.use_count(), 1) << "round " << round;
    for (const auto& o : out) EXPECT_EQ(o.value, "lumen-batch");  // a BackgroundWorker's thread
  }
}

}  // namespace
}  // namespace lumen::perf
