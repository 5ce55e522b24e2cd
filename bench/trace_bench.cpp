// Tracing hot path against its physical floor (a clock read, an atomic add), in one binary so
// that the ratios hold on a noisy machine. The opentelemetry-cpp and OpenTelemetry JS figures are
// measured by their own programs (see bench/RESULTS.md).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include "lumen/core/clock.hpp"
#include "lumen/core/internal/tsc_clock.hpp"
#include "lumen/export/memory_exporter.hpp"
#include "lumen/trace/batch_span_processor.hpp"
#include "lumen/trace/span_data_pool.hpp"
#include "lumen/trace/tracer_provider.hpp"
#include "runtime/span_store_processor.hpp"

namespace {

using lumen::trace::BatchSpanProcessor;
using lumen::trace::Sampler;
using lumen::trace::Span;
using lumen::trace::TracerProvider;

// Accepts every batch and counts the spans: the cost of export itself is not what is measured.
// By default it reads compact records, as the OTLP exporter does: the spans behind it start as
// records. With `reads_records` false it reads SpanData only, as the Jaeger, Zipkin and console
// exporters and an application's own exporter do.
class DroppingExporter final : public lumen::trace::SpanExporter {
 public:
  explicit DroppingExporter(bool reads_records = true) : reads_records_(reads_records) {}
  lumen::trace::ExportResult export_spans(lumen::trace::SpanBatch batch,
                                          lumen::Deadline) noexcept override {
    received.fetch_add(batch.size(), std::memory_order_relaxed);
    return lumen::trace::ExportResult::kSuccess;
  }
  bool reads_records() const noexcept override { return reads_records_; }
  lumen::trace::ExportResult export_records(lumen::trace::OwnedSpanBatch spans,
                                            lumen::trace::RecordBatch records,
                                            lumen::Deadline) noexcept override {
    received.fetch_add(spans.size() + records.size(), std::memory_order_relaxed);
    return lumen::trace::ExportResult::kSuccess;
  }
  std::atomic<std::uint64_t> received{0};

 private:
  const bool reads_records_;
};

struct Pipeline {
  explicit Pipeline(std::shared_ptr<const Sampler> sampler, bool records = true)
      : exporter(std::make_shared<DroppingExporter>(records)),
        provider({.sampler = std::move(sampler),
                  .processor = std::make_unique<BatchSpanProcessor>(exporter)}) {}
  std::shared_ptr<DroppingExporter> exporter;
  TracerProvider provider;
};

// clock_gettime(CLOCK_REALTIME): the figure the others are quoted against.
void BM_ClockNow(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(lumen::wall_clock_ns());
}
BENCHMARK(BM_ClockNow);

// Past the TSC clock's first calibration (10 ms after its first read), so a benchmark measures
// its steady state. With LUMEN_CLOCK=system it is clock_gettime behind a check.
void settle_tsc_clock() {
  const std::uint64_t give_up = lumen::monotonic_ns() + 2'000'000'000ULL;
  while (lumen::detail::tsc_mode() == lumen::detail::TscMode::kWarming &&
         lumen::monotonic_ns() < give_up) {
  }
}

// The span timestamp: the TSC where it is invariant (lumen/core/internal/tsc_clock.hpp).
void BM_TscWallNow(benchmark::State& state) {
  settle_tsc_clock();
  for (auto _ : state) benchmark::DoNotOptimize(lumen::detail::tsc_wall_ns());
  state.SetLabel(lumen::detail::tsc_mode() == lumen::detail::TscMode::kTsc ? "tsc" : "system");
}
BENCHMARK(BM_TscWallNow);

void BM_TscMonotonicNow(benchmark::State& state) {
  settle_tsc_clock();
  for (auto _ : state) benchmark::DoNotOptimize(lumen::detail::tsc_monotonic_ns());
}
BENCHMARK(BM_TscMonotonicNow);

// Through the Clock interface (a virtual call), as components given a clock read it.
void BM_SystemClockWallNs(benchmark::State& state) {
  settle_tsc_clock();
  const lumen::Clock* clock = &lumen::SystemClock::instance();
  benchmark::DoNotOptimize(clock);
  for (auto _ : state) benchmark::DoNotOptimize(clock->wall_ns());
}
BENCHMARK(BM_SystemClockWallNs);

#if LUMEN_HAVE_TSC
// The counter read alone: the floor under the TSC clock.
void BM_Rdtsc(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(lumen::detail::read_tsc());
}
BENCHMARK(BM_Rdtsc);
#endif

void BM_AtomicAdd(benchmark::State& state) {
  std::atomic<std::uint64_t> counter{0};
  for (auto _ : state) counter.fetch_add(1, std::memory_order_relaxed);
  benchmark::DoNotOptimize(counter.load());
}
BENCHMARK(BM_AtomicAdd);

// One cache line handed to another thread and back: the floor under everything two threads share
// (a queue, a pool). On this VM it is about 60 ns or about 320 ns, depending on where the host
// places the two vCPUs at the time, and the two-thread span figure follows it.
void BM_CacheLineRoundTrip(benchmark::State& state) {
  constexpr int kServe = 1, kReturned = 0, kStop = 2;
  struct alignas(64) Line {  // the ball alone on its cache line
    std::atomic<int> ball{kReturned};
  };
  static Line line;
  std::atomic<int>& ball = line.ball;
  std::thread echo([&ball] {
    for (;;) {
      int seen;
      while ((seen = ball.load(std::memory_order_acquire)) == kReturned) {
      }
      if (seen == kStop) return;
      ball.store(kReturned, std::memory_order_release);
    }
  });
  for (auto _ : state) {
    ball.store(kServe, std::memory_order_release);
    while (ball.load(std::memory_order_acquire) != kReturned) {
    }
  }
  ball.store(kStop, std::memory_order_release);
  echo.join();
  ball.store(kReturned);
}
BENCHMARK(BM_CacheLineRoundTrip)->UseRealTime();

// The share of the spans produced since `start` that reached the exporter, after a flush.
struct ExportShare {
  explicit ExportShare(Pipeline& p)
      : pipeline(p), received(p.exporter->received.load()), produced(produced_now()) {}
  std::uint64_t produced_now() const {
    const auto stats = static_cast<BatchSpanProcessor*>(pipeline.provider.processor())->stats();
    return stats.queued + stats.dropped;
  }
  double measure() const {
    pipeline.provider.force_flush(std::chrono::seconds(10));
    const auto made = static_cast<double>(produced_now() - produced);
    return made > 0 ? static_cast<double>(pipeline.exporter->received.load() - received) / made : 0;
  }
  Pipeline& pipeline;
  std::uint64_t received;
  std::uint64_t produced;
};

// A sampled span with three attributes through the default batch processor, to an exporter that
// reads records as the OTLP exporter does. With several threads they share one pipeline, as the
// threads of a service do.
void run_span_start_end(benchmark::State& state, Pipeline& shared) {
  settle_tsc_clock();
  auto& tracer = shared.provider.tracer("bench");
  // Thread 0 snapshots before the start barrier, so no thread of this run has produced yet.
  std::unique_ptr<ExportShare> share;
  if (state.thread_index() == 0) share = std::make_unique<ExportShare>(shared);
  std::int64_t tokens = 0;
  for (auto _ : state) {
    Span span = tracer.start("ai.provider.analyze");
    span.set("ai.model", "gemini-2.0-flash").set("ai.tokens", ++tokens).set("cache.hit", false);
    span.end();
  }
  // After the loop's end barrier every thread has finished producing.
  if (share) state.counters["exported_share"] = share->measure();
}
void BM_SpanStartEnd(benchmark::State& state) {
  static Pipeline shared(Sampler::always_on());
  run_span_start_end(state, shared);
}
BENCHMARK(BM_SpanStartEnd)->Threads(1)->Threads(2)->UseRealTime();

// The same span to an exporter that reads SpanData only: the span fills a SpanData from its start.
void BM_SpanStartEnd_SpanDataExporter(benchmark::State& state) {
  static Pipeline shared(Sampler::always_on(), /*records=*/false);
  run_span_start_end(state, shared);
}
BENCHMARK(BM_SpanStartEnd_SpanDataExporter)->Threads(1)->UseRealTime();

// BM_SpanStartEnd's span given back to the pool as it ends, on the thread that made it: no queue,
// no export thread, every line it touches still in this core's cache. What the span costs its
// thread alone, so that the difference to BM_SpanStartEnd/threads:1 is the hand-off to the export
// thread. Argument 0: the span fills a SpanData, as behind an exporter that reads SpanData only;
// argument 1: it is a compact record (src/trace/span_record.hpp), as behind the OTLP exporter or
// the embedded store alone.
class RecyclingProcessor final : public lumen::trace::SpanProcessor,
                                 lumen::trace::detail::SpanRecordSink {
 public:
  explicit RecyclingProcessor(bool records) : records_(records) {}
  void on_end(std::unique_ptr<lumen::trace::SpanData> span) noexcept override {
    lumen::trace::recycle(std::move(span));
  }
  lumen::trace::detail::SpanRecord* keep(
      lumen::trace::detail::SpanRecord* record) noexcept override {
    return record;  // back to this thread's pool
  }
  lumen::trace::detail::SpanRecordSink* record_sink() noexcept override {
    return records_ ? this : nullptr;
  }
  bool force_flush(std::chrono::milliseconds) noexcept override { return true; }
  bool shutdown(std::chrono::milliseconds) noexcept override { return true; }

 private:
  bool records_;
};

void BM_SpanStartEnd_RecycledAtOnce(benchmark::State& state) {
  settle_tsc_clock();
  TracerProvider provider({.sampler = Sampler::always_on(),
                           .processor = std::make_unique<RecyclingProcessor>(state.range(0) == 1)});
  auto& tracer = provider.tracer("bench");
  std::int64_t tokens = 0;
  for (auto _ : state) {
    Span span = tracer.start("ai.provider.analyze");
    span.set("ai.model", "gemini-2.0-flash").set("ai.tokens", ++tokens).set("cache.hit", false);
    span.end();
  }
  state.SetLabel(state.range(0) == 1 ? "compact record" : "SpanData");
}
BENCHMARK(BM_SpanStartEnd_RecycledAtOnce)->Arg(0)->Arg(1);

// Hands the batch to the store as a copy, as it would reach a store that is not the last of
// several exporters: what keeping the spans themselves saves.
// The gateway's span for a cached answer (apps/beautifyai/gateway.cpp): a server span with seven
// attributes and a status, ended on the request's thread. Exported to a counter behind the batch
// processor (argument 0); kept by the embedded store of recent spans that the dashboard reads, as
// the Runtime feeds it when it is the only exporter (argument 1, the gateway's default: the span
// starts as a compact record, which takes a place in the store's part for its CPU as it ends); or
// by the same store behind the batch processor, as when it sits beside another exporter (argument
// 2). CPU time is the whole process's: the export thread's work on each span is part of its cost.
void BM_GatewaySpan(benchmark::State& state) {
  settle_tsc_clock();
  std::unique_ptr<lumen::trace::SpanProcessor> processor;
  if (state.range(0) == 0) {
    processor = std::make_unique<BatchSpanProcessor>(std::make_shared<DroppingExporter>());
  } else if (state.range(0) == 1) {
    processor = std::make_unique<lumen::detail::SpanStoreProcessor>(
        std::make_shared<lumen::exporters::InMemorySpanExporter>(
            2048, lumen::detail::SpanStoreProcessor::parts_for(2048)));
  } else {
    processor = std::make_unique<BatchSpanProcessor>(
        std::make_shared<lumen::exporters::InMemorySpanExporter>(2048));
  }
  TracerProvider provider({.sampler = Sampler::always_on(), .processor = std::move(processor)});
  auto& tracer = provider.tracer("beautifyai");
  const std::string operation = "analyze";
  for (auto _ : state) {
    Span span = tracer.start("POST /v1/" + operation, {.kind = lumen::trace::SpanKind::kServer});
    span.set("http.request.method", "POST").set("http.route", "/v1/" + operation);
    span.set("user.tier", "pro").set("ai.images", std::int64_t{0});
    span.set("gateway.cached", true).set("ai.model", "gemini-2.0-flash");
    span.set("http.response.status_code", std::int64_t{200});
    span.set_status(lumen::trace::StatusCode::kOk);
    span.end();
  }
  const char* labels[] = {"counted", "embedded store alone", "embedded store, batched"};
  state.SetLabel(labels[state.range(0)]);
}
BENCHMARK(BM_GatewaySpan)->DenseRange(0, 2)->UseRealTime()->MeasureProcessCPUTime();

// The floor under BM_GatewaySpan: the same span's content (ids, two timestamps, the name, seven
// attributes, a status) written as one 256-byte record into a ring as deep as the embedded store
// (2,048), keys as pointers to their literals and values inline, published with a release store.
// No export thread and no record read back: what a span laid out in four cache lines would cost
// the request's thread at least (bench/RESULTS.md, "The span's memory").
struct alignas(64) CompactSpan {
  struct Attribute {
    const char* key;  // interned: the caller's literal
    std::uint8_t kind;
    std::uint8_t size;
    char value[14];  // a string up to 14 bytes, or an integer or bool
  };
  std::uint64_t trace_id[2];
  std::uint64_t span_id;
  std::uint64_t start_ns;
  std::uint64_t end_ns;
  std::uint8_t kind;
  std::uint8_t status;
  std::uint8_t name_size;
  char name[21];
  Attribute attributes[7];
  std::atomic<std::uint64_t> sequence;
};
static_assert(sizeof(CompactSpan) == 256);

void put_string(CompactSpan::Attribute& a, const char* key, std::string_view v) {
  a.key = key;
  a.kind = 1;
  a.size = static_cast<std::uint8_t>(std::min<std::size_t>(v.size(), sizeof a.value));
  std::memcpy(a.value, v.data(), a.size);
}
void put_int(CompactSpan::Attribute& a, const char* key, std::int64_t v) {
  a.key = key;
  a.kind = 2;
  std::memcpy(a.value, &v, sizeof v);
}

void BM_GatewaySpanFloor_CompactRecord(benchmark::State& state) {
  settle_tsc_clock();
  constexpr std::size_t kDepth = 2048;
  auto ring = std::make_unique<CompactSpan[]>(kDepth);
  const std::string operation = "analyze";
  std::uint64_t x = 0x9E3779B97F4A7C15ULL, n = 0;
  const auto next_id = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (auto _ : state) {
    CompactSpan& r = ring[n % kDepth];
    r.trace_id[0] = next_id();
    r.trace_id[1] = next_id();
    r.span_id = next_id();
    r.start_ns = lumen::detail::tsc_wall_ns();
    const std::string name = "POST /v1/" + operation;
    r.name_size = static_cast<std::uint8_t>(std::min(name.size(), sizeof r.name));
    std::memcpy(r.name, name.data(), r.name_size);
    r.kind = 2;
    put_string(r.attributes[0], "http.request.method", "POST");
    put_string(r.attributes[1], "http.route", "/v1/" + operation);
    put_string(r.attributes[2], "user.tier", "pro");
    put_int(r.attributes[3], "ai.images", 0);
    put_int(r.attributes[4], "gateway.cached", 1);
    put_string(r.attributes[5], "ai.model", "gemini-2.0-flash");
    put_int(r.attributes[6], "http.response.status_code", 200);
    r.status = 1;
    r.end_ns = lumen::detail::tsc_wall_ns();
    r.sequence.store(++n, std::memory_order_release);
  }
}
BENCHMARK(BM_GatewaySpanFloor_CompactRecord);

void BM_SpanUnsampled(benchmark::State& state) {
  settle_tsc_clock();
  Pipeline pipeline(Sampler::always_off());
  auto& tracer = pipeline.provider.tracer("bench");
  for (auto _ : state) {
    Span span = tracer.start("ai.provider.analyze");
    span.set("ai.model", "gemini-2.0-flash");
    span.end();
  }
}
BENCHMARK(BM_SpanUnsampled);

// A span that records a failed call's exception, as the gateway's upstream client does for every
// failed attempt: the stack is turned into text once per distinct stack (src/trace/stacktrace.cpp).
void BM_SpanRecordException(benchmark::State& state) {
  settle_tsc_clock();
  Pipeline pipeline(Sampler::always_on());
  auto& tracer = pipeline.provider.tracer("bench");
  const std::runtime_error error("upstream unreachable");
  for (auto _ : state) {
    Span span = tracer.start("ai.provider.call");
    span.record_exception(error);
    span.end();
  }
}
BENCHMARK(BM_SpanRecordException);

// Parent and child, each made current with a scope, as instrumented request code does.
void BM_SpanNested(benchmark::State& state) {
  settle_tsc_clock();
  Pipeline pipeline(Sampler::always_on());
  auto& tracer = pipeline.provider.tracer("bench");
  const ExportShare share(pipeline);
  for (auto _ : state) {
    Span parent = tracer.start("beautifyai.document.enhance");
    auto parent_scope = parent.activate();
    {
      Span child = tracer.start("ai.provider.analyze");
      auto child_scope = child.activate();
    }
  }
  state.counters["exported_share"] = share.measure();
}
BENCHMARK(BM_SpanNested);

}  // namespace

BENCHMARK_MAIN();
