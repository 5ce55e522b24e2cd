#include "lumen/export/memory_exporter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace lumen::exporters {
namespace {

std::vector<std::unique_ptr<trace::SpanData>> named(int first, int count) {
  std::vector<std::unique_ptr<trace::SpanData>> batch;
  for (int i = first; i < first + count; ++i) {
    auto span = std::make_unique<trace::SpanData>();
    span->name = "span " + std::to_string(i);
    span->attributes.set("index", std::int64_t{i});
    batch.push_back(std::move(span));
  }
  return batch;
}

std::vector<std::string> names(const InMemorySpanExporter& memory) {
  std::vector<std::string> out;
  for (const trace::SpanData& span : memory.spans()) out.push_back(span.name);
  return out;
}

// Past its capacity the store keeps the newest spans, oldest first, whatever the batches' sizes.
TEST(InMemorySpanExporter, KeepsTheNewestSpansOldestFirstAndCountsTheEvicted) {
  InMemorySpanExporter memory(3);
  auto first = named(0, 2);
  ASSERT_EQ(memory.export_spans(first, Deadline::max()), trace::ExportResult::kSuccess);
  EXPECT_EQ(names(memory), (std::vector<std::string>{"span 0", "span 1"}));
  auto second = named(2, 3);
  ASSERT_EQ(memory.export_spans(second, Deadline::max()), trace::ExportResult::kSuccess);
  EXPECT_EQ(names(memory), (std::vector<std::string>{"span 2", "span 3", "span 4"}));
  EXPECT_EQ(memory.evicted(), 2u);
  auto third = named(5, 1);
  ASSERT_EQ(memory.export_spans(third, Deadline::max()), trace::ExportResult::kSuccess);
  EXPECT_EQ(names(memory), (std::vector<std::string>{"span 3", "span 4", "span 5"}));
  EXPECT_EQ(memory.spans().back().attributes.size(), 1u);
  EXPECT_EQ(memory.size(), 3u);
  memory.clear();
  auto fourth = named(6, 1);
  ASSERT_EQ(memory.export_spans(fourth, Deadline::max()), trace::ExportResult::kSuccess);
  EXPECT_EQ(names(memory), (std::vector<std::string>{"span 6"}));
  // What it received is a count since it was made: a clear does not take it back.
  EXPECT_EQ(memory.received(), 7u);
  EXPECT_EQ(memory.lost(), 0u);
}

TEST(InMemorySpanExporter, ZeroCapacityKeepsNothingAndCountsEverySpan) {
  InMemorySpanExporter memory(0);
  auto batch = named(0, 2);
  ASSERT_EQ(memory.export_spans(batch, Deadline::max()), trace::ExportResult::kSuccess);
  EXPECT_EQ(memory.size(), 0u);
  EXPECT_EQ(memory.evicted(), 2u);
  EXPECT_EQ(memory.received(), 2u);
}

// Given the spans themselves, the store keeps them without a copy: an entry it took is left empty,
// and once full, each new span's entry receives the span it evicted, for the processor to reuse.
TEST(InMemorySpanExporter, KeepsOwnedSpansThemselvesAndGivesTheEvictedOnesBack) {
  InMemorySpanExporter memory(3);
  auto first = named(0, 2);
  const trace::SpanData* span_1 = first[1].get();
  ASSERT_EQ(memory.export_owned(first, Deadline::max()), trace::ExportResult::kSuccess);
  EXPECT_EQ(first[0], nullptr);
  EXPECT_EQ(first[1], nullptr);
  auto second = named(2, 3);
  ASSERT_EQ(memory.export_owned(second, Deadline::max()), trace::ExportResult::kSuccess);
  EXPECT_EQ(second[0], nullptr);  // the store had room for span 2
  ASSERT_NE(second[1], nullptr);
  EXPECT_EQ(second[1]->name, "span 0");
  ASSERT_NE(second[2], nullptr);
  EXPECT_EQ(second[2].get(), span_1);
  EXPECT_EQ(names(memory), (std::vector<std::string>{"span 2", "span 3", "span 4"}));
  EXPECT_EQ(memory.evicted(), 2u);
  // Copies and owned spans mix in one ring.
  auto copied = named(5, 1);
  ASSERT_EQ(memory.export_spans(copied, Deadline::max()), trace::ExportResult::kSuccess);
  EXPECT_EQ(copied[0]->name, "span 5");
  EXPECT_EQ(names(memory), (std::vector<std::string>{"span 3", "span 4", "span 5"}));
  // An empty entry (a span another exporter took) is skipped.
  std::vector<std::unique_ptr<trace::SpanData>> gaps(2);
  gaps[1] = std::move(named(6, 1)[0]);
  ASSERT_EQ(memory.export_owned(gaps, Deadline::max()), trace::ExportResult::kSuccess);
  EXPECT_EQ(gaps[0], nullptr);
  ASSERT_NE(gaps[1], nullptr);
  EXPECT_EQ(gaps[1]->name, "span 3");
  EXPECT_EQ(names(memory), (std::vector<std::string>{"span 4", "span 5", "span 6"}));
  EXPECT_EQ(memory.evicted(), 4u);
  EXPECT_EQ(memory.spans().front().attributes.size(), 1u);
}

TEST(InMemorySpanExporter, ZeroCapacityLeavesOwnedSpansWithTheProcessor) {
  InMemorySpanExporter memory(0);
  auto batch = named(0, 2);
  ASSERT_EQ(memory.export_owned(batch, Deadline::max()), trace::ExportResult::kSuccess);
  EXPECT_NE(batch[0], nullptr);
  EXPECT_NE(batch[1], nullptr);
  EXPECT_EQ(memory.size(), 0u);
  EXPECT_EQ(memory.evicted(), 2u);
  EXPECT_EQ(memory.received(), 2u);
}

std::vector<std::unique_ptr<trace::SpanData>> ending_at(std::initializer_list<int> ends) {
  std::vector<std::unique_ptr<trace::SpanData>> batch;
  for (int end : ends) {
    auto span = std::make_unique<trace::SpanData>();
    span->name = "ends at " + std::to_string(end);
    span->end_ns = static_cast<std::uint64_t>(end);
    batch.push_back(std::move(span));
  }
  return batch;
}

// Runs each body on a thread of its own, one after another, and ends the threads together once
// the last body has run: no thread exits (which would leave its parts to the next) before all ran.
void in_turn_on_live_threads(const std::vector<std::function<void()>>& bodies) {
  std::atomic<std::size_t> turn{0};
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    threads.emplace_back([&, i] {
      while (turn.load() != i) std::this_thread::yield();
      bodies[i]();
      turn.fetch_add(1);
      while (turn.load() != bodies.size()) std::this_thread::yield();
    });
  }
  for (auto& thread : threads) thread.join();
}

// In three parts, the first two threads to keep spans own a part each, and every other thread
// shares the last. Each part evicts its own oldest, and spans() lists them all by end time.
TEST(InMemorySpanExporter, InPartsKeepsEachOwningThreadsSpansApartAndListsThemByEndTime) {
  InMemorySpanExporter memory(5, 3);  // parts of 2 and 2 owned, 1 shared
  auto first = ending_at({10, 20, 30, 40});
  auto second = ending_at({15, 25, 35});
  auto third = ending_at({5, 45});
  std::vector<std::function<void()>> bodies;
  for (auto* batch : {&first, &second, &third}) {
    bodies.emplace_back([&memory, batch] {
      ASSERT_EQ(memory.export_owned(*batch, Deadline::max()), trace::ExportResult::kSuccess);
    });
  }
  in_turn_on_live_threads(bodies);
  EXPECT_EQ(names(memory), (std::vector<std::string>{"ends at 25", "ends at 30", "ends at 35",
                                                     "ends at 40", "ends at 45"}));
  EXPECT_EQ(memory.size(), 5u);
  EXPECT_EQ(memory.evicted(), 4u);  // 10 and 20, 15, 5
  ASSERT_NE(first[2], nullptr);
  EXPECT_EQ(first[2]->name, "ends at 10");
  ASSERT_NE(first[3], nullptr);
  EXPECT_EQ(first[3]->name, "ends at 20");
  ASSERT_NE(second[2], nullptr);
  EXPECT_EQ(second[2]->name, "ends at 15");
  ASSERT_NE(third[1], nullptr);
  EXPECT_EQ(third[1]->name, "ends at 5");
  EXPECT_EQ(memory.batch_sizes(), (std::vector<std::size_t>{4, 3, 2}));
  memory.clear();
  EXPECT_EQ(memory.size(), 0u);
  EXPECT_EQ(memory.evicted(), 0u);
  EXPECT_TRUE(memory.batch_sizes().empty());
}

// A part whose thread has stopped keeping spans goes to a thread of the shared part once that
// thread has kept 512 spans there: the busy threads hold the parts.
TEST(InMemorySpanExporter, InPartsAThreadOfTheSharedPartTakesOverAnIdlePart) {
  InMemorySpanExporter memory(3, 2);  // a part of 2 owned, 1 shared
  auto idle = ending_at({1, 2});
  in_turn_on_live_threads({[&] { (void)memory.export_owned(idle, Deadline::max()); },
                           [&] {
                             for (int i = 0; i < 600; ++i) {
                               auto batch = ending_at({100 + i});
                               ASSERT_EQ(memory.export_owned(batch, Deadline::max()),
                                         trace::ExportResult::kSuccess);
                             }
                           }});
  // The shared part holds the last span kept before the takeover; the part, the last two.
  const std::vector<std::string> kept = names(memory);
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept[0], "ends at 610") << "the idle thread's part was not taken over at the 512th";
  EXPECT_EQ(kept[1], "ends at 698");
  EXPECT_EQ(kept[2], "ends at 699");
}

// A thread that exits leaves its part to the next new thread that keeps spans, at once.
TEST(InMemorySpanExporter, InPartsANewThreadTakesTheExitedThreadsPart) {
  InMemorySpanExporter memory(3, 2);  // a part of 2 owned, 1 shared
  auto before = ending_at({1, 2});
  auto after = ending_at({3});
  std::thread([&] { (void)memory.export_owned(before, Deadline::max()); }).join();
  std::thread([&] { (void)memory.export_owned(after, Deadline::max()); }).join();
  EXPECT_EQ(names(memory), (std::vector<std::string>{"ends at 2", "ends at 3"}))
      << "the new thread's span went to the shared part";
}

// Threads keeping spans at once, two in parts of their own and two sharing one, while another
// reads: every span is kept or evicted, once.
TEST(InMemorySpanExporter, InPartsTakesConcurrentCallsFromManyThreads) {
  constexpr int kPerThread = 2000;
  InMemorySpanExporter memory(512, 3);
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done.load()) EXPECT_LE(memory.spans().size(), 512u);
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&memory, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::vector<std::unique_ptr<trace::SpanData>> batch = ending_at({t * kPerThread + i});
        ASSERT_EQ(memory.export_owned(batch, Deadline::max()), trace::ExportResult::kSuccess);
        if (i % 100 == 0) std::this_thread::yield();  // let the threads interleave
      }
    });
  }
  for (auto& thread : threads) thread.join();
  done.store(true);
  reader.join();
  EXPECT_LE(memory.size(), 512u);
  EXPECT_EQ(memory.size() + memory.evicted(), 4u * kPerThread);
  const std::vector<trace::SpanData> kept = memory.spans();
  for (std::size_t i = 1; i < kept.size(); ++i) EXPECT_LE(kept[i - 1].end_ns, kept[i].end_ns);
}

}  // namespace
}  // namespace lumen::exporters
