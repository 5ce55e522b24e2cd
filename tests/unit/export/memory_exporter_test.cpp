#include "lumen/export/memory_exporter.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
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
}

TEST(InMemorySpanExporter, ZeroCapacityKeepsNothingAndCountsEverySpan) {
  InMemorySpanExporter memory(0);
  auto batch = named(0, 2);
  ASSERT_EQ(memory.export_spans(batch, Deadline::max()), trace::ExportResult::kSuccess);
  EXPECT_EQ(memory.size(), 0u);
  EXPECT_EQ(memory.evicted(), 2u);
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
}

}  // namespace
}  // namespace lumen::exporters
