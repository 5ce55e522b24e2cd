// The embedded store fed alone (the Runtime's default) under concurrency: threads end spans that
// started as compact records into a small store split in parts, so that every keep evicts a record
// and hands it back to the ending thread, often one that another thread filled, while a reader
// lists, counts and clears the store. Two parts are owned by threads, which keep spans there with
// no lock; the writers come and go, so that threads of the shared part take over the parts of
// those that have exited, while the reader reads. Nothing is missing from the store's counts, every
// span read back is whole, and nothing races or leaks (the suite also runs under ThreadSanitizer
// and AddressSanitizer).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "lumen/export/memory_exporter.hpp"
#include "lumen/trace/tracer_provider.hpp"
#include "runtime/span_store_processor.hpp"

namespace lumen::trace {
namespace {

// The attributes a writer gave its span, all there and consistent with the span's name.
bool whole(const SpanData& span) {
  const AttributeValue* thread = span.attributes.find("thread");
  const AttributeValue* index = span.attributes.find("index");
  const AttributeValue* text = span.attributes.find("text");
  if (thread == nullptr || index == nullptr || text == nullptr || span.attributes.size() != 3) {
    return false;
  }
  const auto* t = std::get_if<std::int64_t>(thread);
  const auto* i = std::get_if<std::int64_t>(index);
  const auto* s = std::get_if<std::string>(text);
  return t != nullptr && i != nullptr && s != nullptr &&
         span.name == "span " + std::to_string(*t) && *s == "value of " + std::to_string(*i) &&
         span.end_ns >= span.start_ns;
}

TEST(SpanStoreStress, RecordsHandedBackAcrossThreadsStayWholeWhileAReaderListsAndClears) {
  constexpr int kThreads = 4;
  constexpr int kMinSpans = 5'000;  // each writer's; it goes on until the reader has read enough
  constexpr int kSpansPerThread = 1'200;  // then a writer's thread exits, and another goes on
  constexpr int kReadEnough = 2'000;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  auto store = std::make_shared<exporters::InMemorySpanExporter>(64, 3);
  std::atomic<int> broken{0};
  std::atomic<int> read{0};
  std::atomic<std::uint64_t> written{0};
  {
    TracerProvider provider(
        {.processor = std::make_unique<lumen::detail::SpanStoreProcessor>(store)});
    Tracer& tracer = provider.tracer("stress");
    std::atomic<bool> done{false};
    std::thread reader([&] {
      for (int round = 1; !done.load(); ++round) {
        for (const SpanData& span : store->spans()) {
          read.fetch_add(1);
          if (!whole(span)) broken.fetch_add(1);
        }
        if (round % 8 == 0) store->clear();
        EXPECT_LE(store->size(), 64u);
      }
    });
    // The writers overlap the reader whatever the scheduler does: on a loaded machine they could
    // otherwise all finish before it first runs.
    std::vector<std::thread> writers;
    for (int t = 0; t < kThreads; ++t) {
      writers.emplace_back([&, t] {
        const auto more = [&](int i) {
          return i < kMinSpans ||
                 (read.load() < kReadEnough && std::chrono::steady_clock::now() < give_up);
        };
        for (int first = 0; more(first); first += kSpansPerThread) {
          std::thread([&, first] {
            for (int i = first; i < first + kSpansPerThread && more(i); ++i) {
              Span span = tracer.start("span " + std::to_string(t));
              span.set("thread", t).set("index", i).set("text", "value of " + std::to_string(i));
              // Some spans move to a SpanData on the way, and share the store's ring with records.
              if (i % 97 == 0) span.add_event("moved");
              span.end();
              written.fetch_add(1);
            }
          }).join();
        }
      });
    }
    for (auto& writer : writers) writer.join();
    done.store(true);
    reader.join();
  }
  EXPECT_GE(read.load(), kReadEnough) << "the reader never overlapped the writers";
  EXPECT_EQ(broken.load(), 0);
  EXPECT_EQ(store->received(), written.load());
  EXPECT_EQ(store->lost(), 0u);
  for (const SpanData& span : store->spans()) EXPECT_TRUE(whole(span)) << span.name;
}

}  // namespace
}  // namespace lumen::trace
