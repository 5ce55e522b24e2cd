// Fork safety: after fork() the child has a working BatchSpanProcessor (a restarted worker, an
// empty queue, fresh ids) and the parent carries on as before.
//
// A child's InMemorySpanExporter is invisible to the parent, so children report through their exit
// status and through a file that every process appends to (tests/support/fork_child.hpp).
//
// ThreadSanitizer does not support fork() in a multi-threaded process; the CI script excludes
// `ForkSafety.*` from the TSan run. These tests run in the Release and ASan+UBSan builds, except
// those that fork while other threads are by design allocating (SKIP_IF_SANITIZER_FORK_UNSAFE).
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "fork_child.hpp"
#include "lumen/core/fork_safety.hpp"
#include "lumen/export/memory_exporter.hpp"
#include "lumen/trace/batch_span_processor.hpp"
#include "lumen/trace/tracer_provider.hpp"
#include "waits.hpp"

namespace lumen::trace {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

using lumen::testing::ChildResult;
using lumen::testing::run_in_child;
using lumen::testing::SharedFile;

// ASan's allocator is not fork-safe while other threads allocate (tests/support/fork_child.hpp):
// the tests that fork amid allocating threads by design are skipped under it.
#define SKIP_IF_SANITIZER_FORK_UNSAFE()                                                        \
  if (lumen::testing::kAddressSanitizer) {                                                     \
    GTEST_SKIP() << "ASan's allocator is not fork-safe while other threads allocate; covered " \
                    "by the Release run";                                                      \
  }

// Joins threads when the test leaves its scope, even through a failed ASSERT.
struct StopAndJoin {
  std::atomic<bool>& stop;
  std::vector<std::thread>& threads;
  ~StopAndJoin() {
    stop.store(true);
    for (auto& t : threads) {
      if (t.joinable()) t.join();
    }
  }
};

// Appends "<pid> <name> <trace id> <span id>" per span with one write() per batch: no lock that a
// fork could leave held, and lines from parent and child never interleave.
class FileExporter final : public SpanExporter {
 public:
  explicit FileExporter(int fd) : fd_(fd) {}
  ExportResult export_spans(SpanBatch batch, Deadline) noexcept override {
    std::string out;
    const std::string pid = std::to_string(::getpid());
    for (const auto& span : batch) {
      out += pid + ' ' + span->name + ' ' + span->context.trace_id().to_hex() + ' ' +
             span->context.span_id().to_hex() + '\n';
    }
    std::size_t done = 0;
    while (done < out.size()) {
      const ssize_t n = ::write(fd_, out.data() + done, out.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return ExportResult::kFailure;
      done += static_cast<std::size_t>(n);
    }
    exported_.fetch_add(batch.size());
    return ExportResult::kSuccess;
  }
  [[nodiscard]] std::uint64_t exported() const { return exported_.load(); }

 private:
  const int fd_;
  std::atomic<std::uint64_t> exported_{0};
};

struct Line {
  long pid = 0;
  std::string name;
  std::string trace_id;
  std::string span_id;
};

std::vector<Line> parse(const std::string& text) {
  std::vector<Line> lines;
  std::istringstream in(text);
  Line l;
  while (in >> l.pid >> l.name >> l.trace_id >> l.span_id) lines.push_back(l);
  return lines;
}

std::vector<Line> of(const std::vector<Line>& lines, pid_t pid, std::string_view name = {}) {
  std::vector<Line> out;
  for (const auto& l : lines) {
    if (l.pid == pid && (name.empty() || l.name == name)) out.push_back(l);
  }
  return out;
}

struct ForkHarness {
  explicit ForkHarness(BatchSpanProcessorOptions options)
      : exporter(std::make_shared<FileExporter>(file.fd())) {
    auto owned = std::make_unique<BatchSpanProcessor>(exporter, options);
    processor = owned.get();
    provider = std::make_unique<TracerProvider>(
        TracerProviderOptions{.sampler = Sampler::always_on(), .processor = std::move(owned)});
    tracer = &provider->tracer("fork-test");
    // Only fork once the worker thread is up and idle: under ASan a thread that is still starting
    // is inside the allocator (see SKIP_IF_SANITIZER_FORK_UNSAFE).
    warmed_up = provider->force_flush(kPatience);
  }
  void produce(std::string_view name, int n) const {
    for (int i = 0; i < n; ++i) tracer->start(name).end();
  }

  SharedFile file;
  std::shared_ptr<FileExporter> exporter;
  BatchSpanProcessor* processor = nullptr;
  std::unique_ptr<TracerProvider> provider;
  Tracer* tracer = nullptr;
  bool warmed_up = false;
};

TEST(ForkSafety, ChildExportsThroughARestartedWorkerWithFreshIds) {
  ForkHarness h({.max_export_batch_size = 16, .schedule_delay = kNever});
  ASSERT_GE(h.file.fd(), 0);
  ASSERT_TRUE(h.warmed_up);
  h.produce("parent.before", 3);
  ASSERT_TRUE(h.provider->force_flush(kPatience));

  const ChildResult child = run_in_child([&] {
    h.produce("child", 5);
    // Without a restarted worker nobody would serve this flush and it would time out.
    return h.provider->force_flush(10s) ? 0 : 2;
  });
  // The parent continues from the same id generator state the child inherited.
  h.produce("parent.after", 5);
  ASSERT_TRUE(h.provider->force_flush(kPatience));
  ASSERT_EQ(child.exit_code, 0);

  const auto lines = parse(h.file.read_all());
  const auto child_lines = of(lines, child.pid);
  ASSERT_EQ(child_lines.size(), 5u);
  for (const auto& l : child_lines) EXPECT_EQ(l.name, "child");
  EXPECT_EQ(of(lines, ::getpid(), "parent.before").size(), 3u);
  const auto parent_after = of(lines, ::getpid(), "parent.after");
  ASSERT_EQ(parent_after.size(), 5u);

  // Fresh generator state in the child: none of its ids repeat the parent's.
  std::set<std::string> parent_ids;
  for (const auto& l : of(lines, ::getpid())) {
    parent_ids.insert(l.trace_id);
    parent_ids.insert(l.span_id);
  }
  for (const auto& l : child_lines) {
    EXPECT_EQ(parent_ids.count(l.trace_id), 0u) << "trace id reused: " << l.trace_id;
    EXPECT_EQ(parent_ids.count(l.span_id), 0u) << "span id reused: " << l.span_id;
  }
}

TEST(ForkSafety, ChildWorkerExportsOnItsScheduleWithoutAFlush) {
  // The parent's worker wakes on the same timer; a slow one keeps it idle around the fork.
  ForkHarness h({.max_export_batch_size = 512, .schedule_delay = 100ms});
  ASSERT_GE(h.file.fd(), 0);
  ASSERT_TRUE(h.warmed_up);
  const ChildResult child = run_in_child([&] {
    const std::uint64_t before = h.exporter->exported();
    h.produce("child.timed", 3);
    // Only the child's own worker, on its timer, can export these.
    const auto give_up = SteadyClock::now() + 10s;
    while (h.exporter->exported() < before + 3) {
      if (SteadyClock::now() >= give_up) return 3;
      std::this_thread::sleep_for(2ms);
    }
    return 0;
  });
  ASSERT_EQ(child.exit_code, 0);
  EXPECT_EQ(of(parse(h.file.read_all()), child.pid, "child.timed").size(), 3u);
}

TEST(ForkSafety, ParentKeepsItsQueuedSpansAndTheChildDoesNotExportThem) {
  ForkHarness h({.max_export_batch_size = 512, .schedule_delay = kNever});
  ASSERT_GE(h.file.fd(), 0);
  ASSERT_TRUE(h.warmed_up);
  h.produce("queued.before.fork", 4);  // below a batch, no timer: still queued at fork time

  const ChildResult child = run_in_child([&] {
    if (h.processor->stats().queue_size != 0) return 4;  // the child starts with an empty queue
    h.produce("child", 2);
    return h.provider->force_flush(10s) ? 0 : 2;
  });
  ASSERT_EQ(child.exit_code, 0);
  h.produce("parent.after", 2);
  ASSERT_TRUE(h.provider->force_flush(kPatience));

  const auto lines = parse(h.file.read_all());
  EXPECT_EQ(of(lines, ::getpid(), "queued.before.fork").size(),
            4u);  // exported once, by the parent
  EXPECT_EQ(of(lines, ::getpid(), "parent.after").size(), 2u);
  EXPECT_EQ(of(lines, child.pid, "queued.before.fork").size(), 0u);
  EXPECT_EQ(of(lines, child.pid, "child").size(), 2u);
  EXPECT_EQ(h.processor->stats().exported, 6u);
  EXPECT_EQ(h.processor->stats().dropped, 0u);
}

TEST(ForkSafety, ForkWhileProducersAreBusyDoesNotDeadlockTheChild) {
  SKIP_IF_SANITIZER_FORK_UNSAFE();
  // Small batches and a short timer keep the parent's worker exporting all the time; producers
  // look their tracer up by name, nest spans and make them current, so that a fork can land while
  // a parent thread is anywhere on the hot path. The exporter is the embedded default, the
  // in-memory one, which holds a lock while it takes a batch.
  auto memory = std::make_shared<exporters::InMemorySpanExporter>(1000);
  // Everything it ever received: what it keeps plus what it evicted to stay within capacity.
  auto received = [&] { return memory->size() + memory->evicted(); };
  auto owned = std::make_unique<BatchSpanProcessor>(
      memory, BatchSpanProcessorOptions{
                  .max_queue_size = 256, .max_export_batch_size = 8, .schedule_delay = 1ms});
  BatchSpanProcessor* processor = owned.get();
  TracerProvider provider({.sampler = Sampler::always_on(), .processor = std::move(owned)});

  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> produced{0};
  std::vector<std::thread> producers;
  StopAndJoin joiner{stop, producers};
  for (int t = 0; t < 3; ++t) {
    producers.emplace_back([&, t] {
      while (!stop.load()) {
        Tracer& tracer = provider.tracer(t % 2 == 0 ? "busy.even" : "busy.odd");
        Span outer = tracer.start("outer");
        outer.set("producer", t).set("note", "a string attribute");
        auto scope = outer.activate();
        tracer.start("inner").end();
        outer.end();
        produced.fetch_add(2);
      }
    });
  }
  // Fork only once the producers are really running.
  const auto started_by = SteadyClock::now() + kPatience;
  while (produced.load() < 1000 && SteadyClock::now() < started_by) std::this_thread::yield();

  constexpr int kForks = 20;
  for (int i = 0; i < kForks; ++i) {
    const ChildResult child = run_in_child([&] {
      const std::uint64_t before = received();
      Tracer& tracer = provider.tracer("child");  // a new scope: takes the provider's lock
      for (int n = 0; n < 20; ++n) {
        Span span = tracer.start("child");
        span.set("n", n);
      }
      if (!provider.force_flush(10s)) return 2;
      // Only the child's 20 spans: the parent's queue and its in-flight batch stayed behind.
      if (received() != before + 20) return 3;
      return 0;
    });
    ASSERT_EQ(child.exit_code, 0) << "fork " << i;
  }

  stop.store(true);
  for (auto& t : producers) t.join();
  ASSERT_TRUE(provider.force_flush(kPatience));
  // The parent lost nothing to the forks: every span is exported or counted as dropped.
  const auto stats = processor->stats();
  EXPECT_EQ(stats.exported + stats.dropped, produced.load());
  EXPECT_EQ(stats.exported, received());
}

// Like many real exporters (InMemorySpanExporter among them) it holds a lock for the whole call;
// it blocks in the call until opened.
class LockingGatedExporter final : public SpanExporter {
 public:
  ExportResult export_spans(SpanBatch batch, Deadline) noexcept override {
    std::lock_guard busy(busy_);
    {
      std::unique_lock lock(gate_mutex_);
      ++calls_;
      gate_.notify_all();
      gate_.wait_for(lock, 60s, [&] { return open_; });  // the cap only stops a broken test
    }
    exported_.fetch_add(batch.size());
    return ExportResult::kSuccess;
  }
  void open() {
    std::lock_guard lock(gate_mutex_);
    open_ = true;
    gate_.notify_all();
  }
  bool wait_for_call() {
    std::unique_lock lock(gate_mutex_);
    return gate_.wait_for(lock, kPatience, [&] { return calls_ > 0; });
  }
  [[nodiscard]] std::uint64_t exported() const { return exported_.load(); }

 private:
  std::mutex busy_;
  std::mutex gate_mutex_;
  std::condition_variable gate_;
  bool open_ = false;
  int calls_ = 0;
  std::atomic<std::uint64_t> exported_{0};
};

// Set by a fork handler that runs before lumen's own (prepare handlers run in reverse order of
// registration), so a test learns that fork() has begun.
std::atomic<std::atomic<bool>*> g_fork_started{nullptr};
void note_fork_started() {
  if (std::atomic<bool>* flag = g_fork_started.load()) flag->store(true);
}

TEST(ForkSafety, ForkDuringAnExportWaitsForItSoTheChildsExporterIsNotMidCall) {
  // The worker is inside the exporter, holding the exporter's lock, when fork() is called. Had the
  // fork gone ahead, the child would inherit that lock held by a thread that does not exist there,
  // and its exporter would be stuck for good. fork() instead waits (boundedly) for the call to end.
  // The worker is by design running (and freeing memory) while the fork completes.
  SKIP_IF_SANITIZER_FORK_UNSAFE();
  auto exporter = std::make_shared<LockingGatedExporter>();
  auto owned = std::make_unique<BatchSpanProcessor>(
      exporter, BatchSpanProcessorOptions{.max_export_batch_size = 1, .schedule_delay = kNever});
  TracerProvider provider({.sampler = Sampler::always_on(), .processor = std::move(owned)});
  Tracer& tracer = provider.tracer("fork-test");
  tracer.start("in.flight").end();
  ASSERT_TRUE(exporter->wait_for_call());

  static const int registered = pthread_atfork(&note_fork_started, nullptr, nullptr);
  ASSERT_EQ(registered, 0);
  std::atomic<bool> fork_started{false};
  g_fork_started.store(&fork_started);
  // Opens the gate only once fork() has begun, so the export is still running when it starts.
  std::thread opener([&] {
    const auto give_up = SteadyClock::now() + kPatience;
    while (!fork_started.load() && SteadyClock::now() < give_up) std::this_thread::yield();
    exporter->open();
  });
  const ChildResult child = run_in_child([&] {
    const std::uint64_t before = exporter->exported();
    tracer.start("child").end();
    if (!provider.force_flush(5s)) return 2;
    return exporter->exported() == before + 1 ? 0 : 3;
  });
  g_fork_started.store(nullptr);
  opener.join();
  EXPECT_EQ(child.exit_code, 0);

  // The parent is unaffected: its in-flight span was exported, and new ones are.
  tracer.start("parent.after").end();
  ASSERT_TRUE(provider.force_flush(kPatience));
  EXPECT_EQ(exporter->exported(), 2u);
}

// Runs `on_wait` in its wait_before_fork hook, for as long as it is registered.
class ForkWaitProbe final : public ForkAware {
 public:
  explicit ForkWaitProbe(std::function<void()> on_wait) : on_wait_(std::move(on_wait)) {
    ForkRegistry::add(this);
  }
  ~ForkWaitProbe() { ForkRegistry::remove(this); }
  ForkWaitProbe(const ForkWaitProbe&) = delete;
  ForkWaitProbe& operator=(const ForkWaitProbe&) = delete;
  void wait_before_fork() noexcept override { on_wait_(); }

 private:
  const std::function<void()> on_wait_;
};

TEST(ForkSafety, ForkWaitsForAnExportBeforeAnyComponentTakesItsLocksForTheFork) {
  // The export in progress may need a lock that another component takes for the fork in its
  // before_fork (the HTTP sender's): waiting for it there would wait out the bound and leave the
  // child an exporter in mid-call. So the export has ended before the fork hooks of the components
  // registered after the processor are told that fork() begins, which is before any before_fork.
  SKIP_IF_SANITIZER_FORK_UNSAFE();
  auto exporter = std::make_shared<LockingGatedExporter>();
  const ForkWaitProbe opens_the_gate([&] { exporter->open(); });  // registered first
  auto owned = std::make_unique<BatchSpanProcessor>(
      exporter, BatchSpanProcessorOptions{.max_export_batch_size = 1, .schedule_delay = kNever});
  TracerProvider provider({.sampler = Sampler::always_on(), .processor = std::move(owned)});
  std::atomic<std::uint64_t> exported_when_waits_ended{0};
  const ForkWaitProbe notes_the_export([&] { exported_when_waits_ended = exporter->exported(); });
  provider.tracer("fork-test").start("in.flight").end();
  ASSERT_TRUE(exporter->wait_for_call());
  const ChildResult child = run_in_child([] { return 0; });
  EXPECT_EQ(child.exit_code, 0);
  EXPECT_EQ(exported_when_waits_ended.load(), 1u);
}

TEST(ForkSafety, ChildOfAChildStillExports) {
  ForkHarness h({.max_export_batch_size = 16, .schedule_delay = kNever});
  ASSERT_GE(h.file.fd(), 0);
  ASSERT_TRUE(h.warmed_up);
  h.produce("parent", 1);
  const ChildResult child = run_in_child([&] {
    h.produce("child", 1);
    if (!h.provider->force_flush(10s)) return 2;
    const ChildResult grandchild = run_in_child([&] {
      h.produce("grandchild", 2);
      return h.provider->force_flush(10s) ? 0 : 2;
    });
    return grandchild.exit_code == 0 ? 0 : 10 + (grandchild.exit_code & 0x7f);
  });
  ASSERT_EQ(child.exit_code, 0);
  ASSERT_TRUE(h.provider->force_flush(kPatience));
  const auto lines = parse(h.file.read_all());
  EXPECT_EQ(of(lines, child.pid, "child").size(), 1u);
  std::size_t grandchild_lines = 0;
  for (const auto& l : lines) grandchild_lines += l.name == "grandchild" ? 1u : 0u;
  EXPECT_EQ(grandchild_lines, 2u);
  EXPECT_EQ(of(lines, ::getpid(), "parent").size(), 1u);
}

// The embedded store in parts is written by every thread that ends a span: two of them in parts of
// their own, without a lock, the third in the shared part, under its lock, while short-lived
// threads take and give back the marks that own parts. A fork must not hand the child a part
// locked, or half written, or the marks' lock held, by a thread the child does not have: the child
// keeps a span on a thread of its own, which takes a mark and gives it back.
TEST(ForkSafety, ForkWhileThreadsKeepSpansInAStoreInPartsLeavesTheChildAStoreItCanUse) {
  SKIP_IF_SANITIZER_FORK_UNSAFE();
  exporters::InMemorySpanExporter store(256, 3);
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> kept{0};
  std::vector<std::thread> keepers;
  StopAndJoin joiner{stop, keepers};
  for (int t = 0; t < 3; ++t) {
    keepers.emplace_back([&] {
      // One span goes round: the store gives back the one it evicts (or none while it fills).
      std::unique_ptr<SpanData> batch[] = {std::make_unique<SpanData>()};
      while (!stop.load(std::memory_order_relaxed)) {
        if (!batch[0]) batch[0] = std::make_unique<SpanData>();
        batch[0]->end_ns = kept.fetch_add(1) + 1;
        (void)store.export_owned(batch, Deadline::max());
      }
    });
  }
  keepers.emplace_back([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      std::thread([&] {
        std::unique_ptr<SpanData> batch[] = {std::make_unique<SpanData>()};
        (void)store.export_owned(batch, Deadline::max());
      }).join();
    }
  });
  const auto started_by = SteadyClock::now() + kPatience;
  while (kept.load() < 10000 && SteadyClock::now() < started_by) std::this_thread::yield();

  constexpr int kForks = 30;
  for (int i = 0; i < kForks; ++i) {
    const ChildResult child = run_in_child([&] {
      int result = 3;
      std::thread([&] {
        std::unique_ptr<SpanData> batch[] = {std::make_unique<SpanData>()};
        batch[0]->name = "child";
        if (store.export_owned(batch, Deadline::max()) != ExportResult::kSuccess) {
          result = 2;
          return;
        }
        for (const SpanData& span : store.spans()) {
          if (span.name == "child") result = 0;
        }
      }).join();
      return result;
    });
    ASSERT_EQ(child.exit_code, 0) << "fork " << i;
  }
}

}  // namespace
}  // namespace lumen::trace
