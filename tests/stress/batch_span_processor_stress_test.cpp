// BatchSpanProcessor under concurrent producers: exact accounting of every span, with and without
// drops, and force_flush racing producers. Spans travel the real path (Tracer -> Span ->
// processor).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "counting_span_exporter.hpp"
#include "lumen/trace/batch_span_processor.hpp"
#include "lumen/trace/internal/span_record.hpp"
#include "lumen/trace/tracer_provider.hpp"

namespace lumen::trace {
namespace {

using namespace std::chrono_literals;

constexpr auto kPatience = 60s;  // TSan on a busy 2-core machine is slow; a hang is still a failure

std::uint64_t key(const SpanId& id) {
  std::uint64_t v;
  std::memcpy(&v, id.bytes().data(), sizeof v);
  return v;
}

// Records the span id of every exported span. Optionally slow, to let the queue fill. With
// `reads_records`, the spans start as compact records and reach it as such: it reads each record
// whole, as an encoder would, and counts those that are not the span Pipeline::produce made.
class IdCollector final : public SpanExporter {
 public:
  explicit IdCollector(std::chrono::microseconds delay_per_batch = {}, bool reads_records = false)
      : delay_(delay_per_batch), reads_records_(reads_records) {}

  ExportResult export_spans(SpanBatch batch, Deadline) noexcept override {
    if (delay_.count() > 0) std::this_thread::sleep_for(delay_);  // simulates a slow network
    std::lock_guard lock(mutex_);
    for (const auto& span : batch) ids_.push_back(key(span->context.span_id()));
    max_batch_ = std::max(max_batch_, batch.size());
    return ExportResult::kSuccess;
  }
  bool reads_records() const noexcept override { return reads_records_; }
  ExportResult export_records(OwnedSpanBatch spans, RecordBatch records,
                              Deadline deadline) noexcept override {
    const ExportResult result = export_spans(spans, deadline);
    std::lock_guard lock(mutex_);
    for (const detail::SpanRecord* record : records) {
      ids_.push_back(key(record->body.span_id));
      const SpanData span = detail::to_span_data(*record);
      const auto* kind = std::get_if<std::string>(span.attributes.find("kind"));
      if (span.name != "work" || span.attributes.size() != 3 || kind == nullptr ||
          *kind != "stress" || span.scope == nullptr || span.scope->name != "stress") {
        ++torn_records_;
      }
    }
    records_ += records.size();
    max_batch_ = std::max(max_batch_, spans.size() + records.size());
    return result;
  }

  std::vector<std::uint64_t> ids() const {
    std::lock_guard lock(mutex_);
    return ids_;
  }
  std::size_t count() const {
    std::lock_guard lock(mutex_);
    return ids_.size();
  }
  std::size_t max_batch() const {
    std::lock_guard lock(mutex_);
    return max_batch_;
  }
  std::size_t records() const {
    std::lock_guard lock(mutex_);
    return records_;
  }
  std::size_t torn_records() const {
    std::lock_guard lock(mutex_);
    return torn_records_;
  }

 private:
  const std::chrono::microseconds delay_;
  const bool reads_records_;
  mutable std::mutex mutex_;
  std::vector<std::uint64_t> ids_;
  std::size_t max_batch_ = 0;
  std::size_t records_ = 0;
  std::size_t torn_records_ = 0;
};

struct Pipeline {
  Pipeline(std::shared_ptr<IdCollector> collector, BatchSpanProcessorOptions options)
      : exporter(std::move(collector)) {
    auto owned = std::make_unique<BatchSpanProcessor>(exporter, options);
    processor = owned.get();
    provider = std::make_unique<TracerProvider>(
        TracerProviderOptions{.sampler = Sampler::always_on(), .processor = std::move(owned)});
    tracer = &provider->tracer("stress");
  }

  // One span with a little work in it; returns its span id.
  std::uint64_t produce(int producer, int n) const {
    Span span = tracer->start("work");
    span.set("producer", producer).set("n", n).set("kind", "stress");
    const std::uint64_t id = key(span.context().span_id());
    span.end();
    return id;
  }

  std::shared_ptr<IdCollector> exporter;
  BatchSpanProcessor* processor = nullptr;
  std::unique_ptr<TracerProvider> provider;
  Tracer* tracer = nullptr;
};

std::vector<std::uint64_t> sorted(std::vector<std::uint64_t> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(BatchSpanProcessorStress, NoLossBelowCapacityFromFourProducers) {
  // Default options (queue 1000, batches of 512). Each round the 4 producers end 250 spans each,
  // then meet at a barrier whose completion flushes: the queue never holds more than its capacity,
  // so every span must arrive, exactly once.
  constexpr int kProducers = 4;
  constexpr int kRounds = 20;
  constexpr int kPerRound = 250;
  Pipeline p(std::make_shared<IdCollector>(), {});

  std::atomic<int> failed_flushes{0};
  auto flush = [&]() noexcept {
    if (!p.processor->force_flush(kPatience)) failed_flushes.fetch_add(1);
  };
  std::barrier round_end(kProducers, flush);
  std::vector<std::vector<std::uint64_t>> produced(kProducers);
  std::vector<std::thread> threads;
  for (int t = 0; t < kProducers; ++t) {
    threads.emplace_back([&, t] {
      auto& mine = produced[static_cast<std::size_t>(t)];
      for (int r = 0; r < kRounds; ++r) {
        for (int i = 0; i < kPerRound; ++i) mine.push_back(p.produce(t, i));
        round_end.arrive_and_wait();
      }
    });
  }
  for (auto& t : threads) t.join();

  EXPECT_EQ(failed_flushes.load(), 0);
  std::vector<std::uint64_t> all;
  for (const auto& v : produced) all.insert(all.end(), v.begin(), v.end());
  ASSERT_EQ(all.size(), static_cast<std::size_t>(kProducers * kRounds * kPerRound));
  ASSERT_EQ(std::set<std::uint64_t>(all.begin(), all.end()).size(), all.size()) << "duplicate ids";

  const auto stats = p.processor->stats();
  EXPECT_EQ(stats.dropped, 0u);
  EXPECT_EQ(stats.queued, all.size());
  EXPECT_EQ(stats.exported, all.size());
  EXPECT_EQ(sorted(p.exporter->ids()), sorted(all));  // each exactly once
  EXPECT_LE(p.exporter->max_batch(), 512u);
}

TEST(BatchSpanProcessorStress, NoLossWhenTheQueueHoldsEverythingWithoutFlushes) {
  constexpr int kProducers = 4;
  constexpr int kPerProducer = 5000;
  Pipeline p(std::make_shared<IdCollector>(), {.max_queue_size = kProducers * kPerProducer,
                                               .max_export_batch_size = 256,
                                               .schedule_delay = 10ms});
  std::vector<std::vector<std::uint64_t>> produced(kProducers);
  std::vector<std::thread> threads;
  for (int t = 0; t < kProducers; ++t) {
    threads.emplace_back([&, t] {
      auto& mine = produced[static_cast<std::size_t>(t)];
      mine.reserve(kPerProducer);
      for (int i = 0; i < kPerProducer; ++i) mine.push_back(p.produce(t, i));
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(p.processor->force_flush(kPatience));

  std::vector<std::uint64_t> all;
  for (const auto& v : produced) all.insert(all.end(), v.begin(), v.end());
  EXPECT_EQ(p.processor->stats().dropped, 0u);
  EXPECT_EQ(sorted(p.exporter->ids()), sorted(all));
  EXPECT_LE(p.exporter->max_batch(), 256u);
}

// The queue overflows: some spans are dropped. Every span is either exported or counted as
// dropped, never both, never neither, and nothing is exported twice. With `records`, the spans are
// compact records, which the export thread hands back to pools the producers take them from while
// they are dropping others: every record read must still be the span it was.
void expect_every_span_accounted_for_with_a_slow_exporter(bool records) {
  constexpr int kProducers = 4;
  constexpr int kPerProducer = 3000;
  Pipeline p(std::make_shared<IdCollector>(200us, records),
             {.max_queue_size = 64, .max_export_batch_size = 16, .schedule_delay = 5ms});
  std::vector<std::vector<std::uint64_t>> produced(kProducers);
  std::vector<std::thread> threads;
  for (int t = 0; t < kProducers; ++t) {
    threads.emplace_back([&, t] {
      auto& mine = produced[static_cast<std::size_t>(t)];
      for (int i = 0; i < kPerProducer; ++i) mine.push_back(p.produce(t, i));
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(p.processor->force_flush(kPatience));

  constexpr auto kProduced = static_cast<std::uint64_t>(kProducers * kPerProducer);
  const auto stats = p.processor->stats();
  const auto exported_ids = p.exporter->ids();
  EXPECT_EQ(stats.exported + stats.dropped, kProduced);
  EXPECT_EQ(stats.queued + stats.dropped, kProduced);
  EXPECT_EQ(stats.exported, exported_ids.size());
  EXPECT_EQ(stats.export_failed, 0u);
  EXPECT_LE(p.exporter->max_batch(), 16u);

  std::set<std::uint64_t> all;
  for (const auto& v : produced) all.insert(v.begin(), v.end());
  const std::set<std::uint64_t> unique_exported(exported_ids.begin(), exported_ids.end());
  EXPECT_EQ(unique_exported.size(), exported_ids.size()) << "a span was exported twice";
  EXPECT_TRUE(std::includes(all.begin(), all.end(), unique_exported.begin(), unique_exported.end()))
      << "an exported span was never produced";
  EXPECT_EQ(p.exporter->records(), records ? exported_ids.size() : 0u);
  EXPECT_EQ(p.exporter->torn_records(), 0u);
}

TEST(BatchSpanProcessorStress, SlowExporterSmallQueueAccountsForEverySpan) {
  expect_every_span_accounted_for_with_a_slow_exporter(/*records=*/false);
}

TEST(BatchSpanProcessorStress, SlowExporterSmallQueueAccountsForEveryRecord) {
  expect_every_span_accounted_for_with_a_slow_exporter(/*records=*/true);
}

TEST(BatchSpanProcessorStress, ProducersOnEveryCoreAtFullSpeedLoseAlmostNothing) {
  // As many producers as cores end spans in a tight loop, with the default options: the worker has
  // to win CPU time from them before the queue of 1000 fills, in about 50 microseconds. Before the
  // worker left gaps behind and full producers yielded, 4 to 6 % of the spans got through here.
  const unsigned producers = std::max(2u, std::thread::hardware_concurrency());
  constexpr int kPerProducer = 300'000;
  auto exporter = std::make_shared<lumen::testing::CountingSpanExporter>();
  auto owned = std::make_unique<BatchSpanProcessor>(exporter);
  BatchSpanProcessor& processor = *owned;
  TracerProvider provider({.sampler = Sampler::always_on(), .processor = std::move(owned)});
  Tracer& tracer = provider.tracer("stress");

  std::barrier start(static_cast<std::ptrdiff_t>(producers));
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < producers; ++t) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      for (int i = 0; i < kPerProducer; ++i) {
        Span span = tracer.start("ai.provider.analyze");
        span.set("ai.model", "gemini-2.0-flash").set("ai.tokens", i).set("cache.hit", false);
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(processor.force_flush(kPatience));

  const auto produced = static_cast<std::uint64_t>(producers) * kPerProducer;
  const auto stats = processor.stats();
  EXPECT_EQ(stats.exported + stats.dropped, produced);
  EXPECT_EQ(exporter->received.load(), stats.exported);
  // Alone on the machine, 99.9 % get through. ctest runs another test beside this one, which can
  // take the worker's core for a while: 91-93 % were seen then. The old worker let 4-6 % through,
  // and the gap fix alone 62-72 %.
  EXPECT_GE(static_cast<double>(stats.exported), 0.8 * static_cast<double>(produced))
      << stats.dropped << " of " << produced << " spans dropped";
}

TEST(BatchSpanProcessorStress, ConcurrentForceFlushWhileProducing) {
  // Two producers, three threads flushing in a loop. A flush that returns true must have exported
  // every span that had ended before it was called.
  constexpr int kProducers = 2;
  constexpr int kPerProducer = 4000;
  constexpr int kFlushers = 3;
  Pipeline p(std::make_shared<IdCollector>(), {.max_queue_size = kProducers * kPerProducer,
                                               .max_export_batch_size = 128,
                                               .schedule_delay = std::chrono::hours(1)});
  std::atomic<std::size_t> ended{0};
  std::atomic<int> producers_left{kProducers};
  std::atomic<int> flushes{0};
  std::atomic<int> failed_flushes{0};
  std::atomic<int> flush_shortfalls{0};

  std::vector<std::thread> threads;
  for (int t = 0; t < kProducers; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerProducer; ++i) {
        p.produce(t, i);
        ended.fetch_add(1);
      }
      producers_left.fetch_sub(1);
    });
  }
  for (int f = 0; f < kFlushers; ++f) {
    threads.emplace_back([&] {
      // At least a few flushes each, even if the producers finish first.
      for (int n = 0; producers_left.load() > 0 || n < 3; ++n) {
        const std::size_t ended_before = ended.load();
        if (!p.processor->force_flush(kPatience)) {
          failed_flushes.fetch_add(1);
        } else if (p.exporter->count() < ended_before) {
          flush_shortfalls.fetch_add(1);
        }
        flushes.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(p.processor->force_flush(kPatience));

  EXPECT_EQ(failed_flushes.load(), 0);
  EXPECT_EQ(flush_shortfalls.load(), 0);
  EXPECT_GE(flushes.load(), 3 * kFlushers);
  const auto stats = p.processor->stats();
  EXPECT_EQ(stats.dropped, 0u);
  EXPECT_EQ(stats.exported, static_cast<std::uint64_t>(kProducers * kPerProducer));
  EXPECT_EQ(p.exporter->count(), static_cast<std::size_t>(kProducers * kPerProducer));
}

}  // namespace
}  // namespace lumen::trace
