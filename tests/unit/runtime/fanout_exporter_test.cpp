// FanoutExporter: every exporter sees the whole batch; only the last may keep spans.
#include "runtime/fanout_exporter.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "lumen/export/memory_exporter.hpp"

namespace lumen::detail {
namespace {

std::vector<std::unique_ptr<trace::SpanData>> spans_named(std::vector<std::string> names) {
  std::vector<std::unique_ptr<trace::SpanData>> batch;
  for (auto& name : names) {
    batch.push_back(std::make_unique<trace::SpanData>());
    batch.back()->name = std::move(name);
  }
  return batch;
}

std::vector<std::string> names(const exporters::InMemorySpanExporter& store) {
  std::vector<std::string> out;
  for (const trace::SpanData& span : store.spans()) out.push_back(span.name);
  return out;
}

TEST(FanoutExporter, EveryExporterSeesTheWholeBatchAndOnlyTheLastKeepsSpans) {
  auto first = std::make_shared<exporters::InMemorySpanExporter>(10);
  auto last = std::make_shared<exporters::InMemorySpanExporter>(10);
  FanoutExporter fanout({first, last});
  auto batch = spans_named({"a", "b"});
  ASSERT_EQ(fanout.export_owned(batch, Deadline::max()), trace::ExportResult::kSuccess);
  EXPECT_EQ(names(*first), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(names(*last), (std::vector<std::string>{"a", "b"}));
  // The last store took the spans themselves; had the first one, the last would have seen gaps.
  EXPECT_EQ(batch[0], nullptr);
  EXPECT_EQ(batch[1], nullptr);
}

TEST(FanoutExporter, ACopyingExporterLastLeavesTheBatchWhole) {
  auto store = std::make_shared<exporters::InMemorySpanExporter>(10);
  FanoutExporter fanout({store});
  auto batch = spans_named({"a"});
  ASSERT_EQ(fanout.export_spans(batch, Deadline::max()), trace::ExportResult::kSuccess);
  ASSERT_NE(batch[0], nullptr);
  EXPECT_EQ(batch[0]->name, "a");
  EXPECT_EQ(names(*store), (std::vector<std::string>{"a"}));
}

}  // namespace
}  // namespace lumen::detail
