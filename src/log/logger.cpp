#include "lumen/log/logger.hpp"

#include <algorithm>
#include <condition_variable>
#include <variant>
#include <cstdio>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "log/json_writer.hpp"
#include "log/record.hpp"
#include "lumen/core/bounded_queue.hpp"
#include "lumen/core/context.hpp"
#include "lumen/core/error.hpp"

namespace lumen::log {
namespace detail {

// Shared by the handles and the writer thread; the writer keeps it alive if shutdown gave up on it.
class LoggerCore {
 public:
  LoggerCore(LoggerOptions options, std::vector<std::shared_ptr<Sink>> sinks)
      : options_(std::move(options)),
        clock_(options_.clock ? options_.clock : &SystemClock::instance()),
        sinks_(std::move(sinks)),
        records_(options_.queue_capacity),
        free_(options_.queue_capacity),
        queue_(options_.queue_capacity),
        sink_failed_(sinks_.size(), false) {
    level_.store(static_cast<std::uint8_t>(options_.level), std::memory_order_relaxed);
    for (const auto& k : options_.redact_keys) {
      std::string lower;
      for (char c : k) lower.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
      redactor_.keys.push_back(std::move(lower));
    }
    prefix_service_.append(",\"service\":");
    append_json_string(prefix_service_, options_.service);
    prefix_service_.append(",\"environment\":");
    append_json_string(prefix_service_, options_.environment);
    const bool camel = options_.trace_keys == TraceKeys::kCamelCase;
    trace_key_ = camel ? ",\"traceId\":\"" : ",\"trace_id\":\"";
    span_key_ = camel ? "\",\"spanId\":\"" : "\",\"span_id\":\"";
    for (auto& r : records_) {
      r.data.reserve(256);
      (void)free_.try_push(&r);
    }
  }

  // The writer thread holds `self`, so the state outlives a writer that shutdown had to detach.
  void start(std::shared_ptr<LoggerCore> self) {
    if (!options_.asynchronous) return;
    writer_running_.store(true, std::memory_order_release);
    writer_ = std::thread([keep = std::move(self)] { keep->run(); });
  }

  ~LoggerCore() {
    if (writer_.joinable()) {
      if (writer_.get_id() == std::this_thread::get_id()) {
        writer_.detach();
      } else {
        writer_.join();
      }
    }
  }

  std::atomic<std::uint8_t> level_{0};

  void submit(Level level, std::string_view message, const Field* fields, std::size_t count,
              const std::string* bound) {
    if (stopped_.load(std::memory_order_relaxed)) return;
    Record* r = nullptr;
    if (options_.asynchronous) {
      const bool block = options_.overflow == OverflowPolicy::kBlock;
      if (!acquire(r, block, block ? monotonic_ns() + block_timeout_ns() : 0)) {
        // Dropped by policy or after waiting block_timeout; a stopped writer drops silently.
        if (!block || writer_running_.load(std::memory_order_relaxed)) {
          dropped_.fetch_add(1, std::memory_order_relaxed);
        }
        return;
      }
    } else {
      r = &sync_record_;
      sync_mutex_.lock();
    }
    fill(*r, level, message, fields, count, bound);
    if (options_.asynchronous) {
      publish(r);
    } else {
      handle(*r);
      write_batch();
      sync_mutex_.unlock();
    }
  }

  bool flush(std::chrono::milliseconds timeout) {
    const std::uint64_t deadline = monotonic_ns() + static_cast<std::uint64_t>(timeout.count()) * 1'000'000ULL;
    if (!options_.asynchronous) {
      std::lock_guard lock(sync_mutex_);
      flush_sinks();
      return true;
    }
    if (!writer_running_.load(std::memory_order_acquire)) return queue_.size_approx() == 0;
    Record* r = nullptr;
    if (!acquire(r, true, deadline)) return false;
    r->type = Record::Type::kFlushMarker;
    const std::uint64_t seq = flush_requested_.fetch_add(1, std::memory_order_relaxed) + 1;
    r->marker = seq;
    publish(r);
    wake();
    std::unique_lock lock(mutex_);
    return flushed_cv_.wait_for(lock, std::chrono::nanoseconds(deadline > monotonic_ns() ? deadline - monotonic_ns() : 0),
                                [&] { return flushed_ >= seq; });
  }

  bool shutdown(std::chrono::milliseconds timeout) {
    if (stopped_.exchange(true)) return true;
    const bool flushed = flush(timeout);
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_cv_.notify_one();
    if (writer_.joinable()) {
      if (flushed) {
        writer_.join();
      } else {
        writer_.detach();  // a sink hangs: the writer owns a reference and ends on its own
      }
    }
    return flushed;
  }

  LoggerStats stats() const noexcept {
    LoggerStats s;
    s.written = written_.load(std::memory_order_relaxed);
    s.dropped = dropped_.load(std::memory_order_relaxed);
    s.suppressed = suppressed_total_.load(std::memory_order_relaxed);
    s.sink_errors = sink_errors_.load(std::memory_order_relaxed);
    return s;
  }

  std::string format_bound(const Field* fields, std::size_t count) const {
    std::string out;
    append_fields(out, fields, count, redactor_);
    return out;
  }

 private:
  // Takes a free record; waits for one when `block`, until `deadline_ns` if it is not 0.
  std::uint64_t block_timeout_ns() const noexcept {
    return static_cast<std::uint64_t>(std::max<std::int64_t>(1, options_.block_timeout.count())) *
           1'000'000ULL;
  }

  bool acquire(Record*& r, bool block, std::uint64_t deadline_ns) {
    if (free_.try_pop(r)) return true;
    if (!block) return false;
    for (unsigned spin = 0;; ++spin) {
      if (free_.try_pop(r)) return true;
      if (!writer_running_.load(std::memory_order_acquire)) return false;
      if (deadline_ns != 0 && monotonic_ns() >= deadline_ns) return false;
      if (spin < 64) {
        std::this_thread::yield();
        continue;
      }
      // Park until the writer frees records; the timeout covers a notification that raced.
      waiters_.fetch_add(1, std::memory_order_seq_cst);
      {
        std::unique_lock lock(mutex_);
        if (sleeping_.load(std::memory_order_relaxed)) wake_cv_.notify_one();
        space_cv_.wait_for(lock, std::chrono::milliseconds(1),
                           [&] { return free_.size_approx() > 0; });
      }
      waiters_.fetch_sub(1, std::memory_order_relaxed);
    }
  }

  void fill(Record& r, Level level, std::string_view message, const Field* fields,
            std::size_t count, const std::string* bound) {
    r.type = Record::Type::kLog;
    r.level = level;
    r.wall_ns = clock_->wall_ns();
    const SpanContext& span = Context::current().span();
    r.has_span = span.is_valid();
    if (r.has_span) {
      r.trace_id = span.trace_id();
      r.span_id = span.span_id();
    }
    if (bound != nullptr) {
      r.bound.assign(*bound);
    } else {
      r.bound.clear();
    }
    r.data.clear();
    put_str(r.data, message);
    for (std::size_t i = 0; i < count; ++i) put_field(r.data, fields[i]);
  }

  void publish(Record* r) {
    // Cannot fail: there are exactly as many records as queue cells.
    while (!queue_.try_push(r)) std::this_thread::yield();
    if (sleeping_.load(std::memory_order_seq_cst)) wake();
  }

  void wake() {
    { std::lock_guard lock(mutex_); }
    wake_cv_.notify_one();
  }

  void run() {
    constexpr std::size_t kBatch = 512;
    for (;;) {
      std::size_t n = 0;
      Record* r = nullptr;
      std::uint64_t marker = 0;
      while (n < kBatch && queue_.try_pop(r)) {
        ++n;
        if (r->type == Record::Type::kFlushMarker) {
          marker = r->marker;
          r->type = Record::Type::kLog;
          (void)free_.try_push(r);
          break;  // write and flush what came before the marker, then signal it
        }
        handle(*r);
        (void)free_.try_push(r);
      }
      if (n > 0 && waiters_.load(std::memory_order_seq_cst) > 0) {
        { std::lock_guard lock(mutex_); }
        space_cv_.notify_all();
      }
      report_drops(false);
      write_batch();
      if (marker != 0) {
        flush_sinks();
        {
          std::lock_guard lock(mutex_);
          flushed_ = std::max(flushed_, marker);
        }
        flushed_cv_.notify_all();
      }
      if (n > 0) continue;
      std::unique_lock lock(mutex_);
      if (stop_ && queue_.size_approx() == 0) break;
      sleeping_.store(true, std::memory_order_seq_cst);
      if (queue_.size_approx() == 0 && !stop_) {
        wake_cv_.wait_for(lock, std::chrono::milliseconds(50));
      }
      sleeping_.store(false, std::memory_order_relaxed);
    }
    report_drops(true);
    write_batch();
    flush_sinks();
    writer_running_.store(false, std::memory_order_release);
  }

  // Formats one record into lines_ (through the rate limiter).
  void handle(const Record& r) {
    Reader reader(r.data);
    const std::string_view message = reader.str();
    if (options_.rate_limit_burst > 0 && !rate_allow(r.level, message, r.wall_ns)) return;
    format_line(r.level, r.wall_ns, message, &r, reader);
  }

  void format_line(Level level, std::uint64_t wall_ns, std::string_view message, const Record* r,
                   Reader& reader) {
    const std::size_t start = batch_.size();
    batch_.append("{\"timestamp\":\"");
    append_iso8601(batch_, wall_ns);
    batch_.append("\",\"level\":\"");
    batch_.append(level_name(level));
    batch_.append("\",\"message\":");
    const std::size_t message_start = batch_.size() + 1;
    append_json_string(batch_, message);
    const std::size_t message_end = batch_.size() - 1;
    const std::size_t fields_start = batch_.size();
    batch_.append(prefix_service_);
    if (r != nullptr && r->has_span) {
      char hex[32];
      batch_.append(trace_key_);
      r->trace_id.to_hex(hex);
      batch_.append(hex, 32);
      batch_.append(span_key_);
      r->span_id.to_hex(hex);
      batch_.append(hex, 16);
      batch_.push_back('"');
    }
    if (r != nullptr) batch_.append(r->bound);
    append_fields(batch_, reader, redactor_);
    batch_.push_back('}');
    pending_.push_back({level, wall_ns, start, message_start, message_end, fields_start, batch_.size()});
    batch_.push_back('\n');
  }

  bool rate_allow(Level level, std::string_view message, std::uint64_t now_ns) {
    const auto window = static_cast<std::uint64_t>(options_.rate_limit_window.count()) * 1'000'000ULL;
    std::string key(1, static_cast<char>(level));
    key.append(message);
    auto [it, inserted] = rate_.try_emplace(std::move(key));
    RateEntry& e = it->second;
    if (inserted || now_ns - e.window_start >= window) {
      if (!inserted && e.suppressed > 0) emit_suppressed(level, message, e.suppressed, now_ns);
      e.window_start = now_ns;
      e.count = 0;
      e.suppressed = 0;
    }
    if (e.count < options_.rate_limit_burst) {
      ++e.count;
      return true;
    }
    ++e.suppressed;
    suppressed_total_.fetch_add(1, std::memory_order_relaxed);
    if (rate_.size() > 10000) rate_.clear();  // bound the memory a stream of unique messages uses
    return false;
  }

  void emit_suppressed(Level level, std::string_view message, std::uint64_t count,
                       std::uint64_t now_ns) {
    std::string encoded;
    const Field fields[] = {{"suppressed", count}, {"suppressed_message", message}};
    put_str(encoded, "repeated log messages suppressed");
    for (const auto& f : fields) put_field(encoded, f);
    Reader reader(encoded);
    const std::string_view m = reader.str();
    format_line(level, now_ns, m, nullptr, reader);
  }

  void report_drops(bool force) {
    const std::uint64_t dropped = dropped_.load(std::memory_order_relaxed);
    if (dropped == reported_dropped_) return;
    const std::uint64_t now = clock_->monotonic_ns();
    const auto interval =
        static_cast<std::uint64_t>(options_.drop_report_interval.count()) * 1'000'000ULL;
    if (!force && last_drop_report_ != 0 && now - last_drop_report_ < interval) return;
    last_drop_report_ = now;
    std::string encoded;
    const Field fields[] = {{"dropped", dropped - reported_dropped_}, {"dropped_total", dropped}};
    put_str(encoded, "log records dropped: queue full");
    for (const auto& f : fields) put_field(encoded, f);
    reported_dropped_ = dropped;
    Reader reader(encoded);
    const std::string_view m = reader.str();
    format_line(Level::kWarn, clock_->wall_ns(), m, nullptr, reader);
  }

  void write_batch() {
    for (const auto& p : pending_) {
      FormattedRecord fr{p.level, p.wall_ns,
                         std::string_view(batch_).substr(p.message_start, p.message_end - p.message_start),
                         std::string_view(batch_).substr(p.start, p.end - p.start),
                         std::string_view(batch_).substr(p.fields_start, p.end - 1 - p.fields_start)};
      for (std::size_t i = 0; i < sinks_.size(); ++i) {
        if (!sinks_[i]->write(fr)) sink_failure(i);
      }
      written_.fetch_add(1, std::memory_order_relaxed);
    }
    if (!pending_.empty()) flush_sinks();
    pending_.clear();
    batch_.clear();
  }

  void flush_sinks() {
    for (std::size_t i = 0; i < sinks_.size(); ++i) {
      if (!sinks_[i]->flush()) sink_failure(i);
    }
  }

  void sink_failure(std::size_t i) {
    sink_errors_.fetch_add(1, std::memory_order_relaxed);
    if (sink_failed_[i]) return;
    sink_failed_[i] = true;
    const std::string why = sinks_[i]->last_error();
    std::fprintf(stderr, "lumen log: sink %s failed (%s); further failures are only counted\n",
                 sinks_[i]->name().c_str(), why.c_str());
  }

  struct Pending {
    Level level;
    std::uint64_t wall_ns;
    std::size_t start, message_start, message_end, fields_start, end;
  };
  struct RateEntry {
    std::uint64_t window_start = 0;
    std::uint32_t count = 0;
    std::uint64_t suppressed = 0;
  };

  LoggerOptions options_;
  const Clock* clock_;
  std::vector<std::shared_ptr<Sink>> sinks_;
  Redactor redactor_;
  std::string prefix_service_;
  std::string_view trace_key_, span_key_;

  std::vector<Record> records_;
  BoundedQueue<Record*> free_;
  BoundedQueue<Record*> queue_;

  std::mutex mutex_;
  std::condition_variable wake_cv_;
  std::condition_variable flushed_cv_;
  std::condition_variable space_cv_;
  std::atomic<int> waiters_{0};
  bool stop_ = false;
  std::uint64_t flushed_ = 0;
  std::atomic<std::uint64_t> flush_requested_{0};
  std::atomic<bool> sleeping_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<bool> writer_running_{false};
  std::thread writer_;

  std::mutex sync_mutex_;
  Record sync_record_;

  // Writer-only state (or under sync_mutex_ in synchronous mode).
  std::string batch_;
  std::vector<Pending> pending_;
  std::vector<bool> sink_failed_;
  std::unordered_map<std::string, RateEntry> rate_;
  std::uint64_t reported_dropped_ = 0;
  std::uint64_t last_drop_report_ = 0;

  std::atomic<std::uint64_t> written_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> suppressed_total_{0};
  std::atomic<std::uint64_t> sink_errors_{0};
};

}  // namespace detail

namespace {
struct CoreOwner {
  CoreOwner(std::shared_ptr<detail::LoggerCore> c, std::chrono::milliseconds t)
      : core(std::move(c)), timeout(t) {}
  CoreOwner(const CoreOwner&) = delete;
  CoreOwner& operator=(const CoreOwner&) = delete;
  ~CoreOwner() { core->shutdown(timeout); }
  std::shared_ptr<detail::LoggerCore> core;
  std::chrono::milliseconds timeout;
};
}  // namespace

LoggerOptions LoggerOptions::from_environment(const Environment& env, const Resource& resource) {
  LoggerOptions o;
  if (auto text = env.get("LOG_LEVEL")) {
    auto level = parse_level(*text);
    if (!level) {
      throw Error("LOG_LEVEL='" + *text +
                  "' is not a log level; use trace, debug, info, warn, error, fatal or off");
    }
    o.level = *level;
  }
  o.service = resource.service_name();
  if (const auto* env_name = resource.attributes().find("deployment.environment")) {
    if (const auto* s = std::get_if<std::string>(env_name)) o.environment = *s;
  }
  return o;
}

Logger::Logger(LoggerOptions options, std::vector<std::shared_ptr<Sink>> sinks) {
  if (options.queue_capacity == 0) throw Error("LoggerOptions.queue_capacity must be at least 1");
  const auto timeout = options.shutdown_timeout;
  auto core = std::make_shared<detail::LoggerCore>(std::move(options), std::move(sinks));
  core->start(core);
  // The owner shuts down when the last handle goes; handles point into the core through it.
  auto owner = std::make_shared<CoreOwner>(core, timeout);
  core_ = std::shared_ptr<detail::LoggerCore>(owner, core.get());
  level_ = &core_->level_;
}

void Logger::submit(Level level, std::string_view message, const Field* fields,
                    std::size_t count) {
  core_->submit(level, message, fields, count, bound_.get());
}

void Logger::fatal(std::string_view m, std::initializer_list<Field> f) {
  log(Level::kFatal, m, f);
  (void)flush(std::chrono::seconds(1));
}

Logger Logger::child(std::initializer_list<Field> fields) const {
  Logger c = *this;
  std::string bound = bound_ ? *bound_ : std::string();
  bound.append(core_->format_bound(fields.begin(), fields.size()));
  c.bound_ = std::make_shared<const std::string>(std::move(bound));
  return c;
}

bool Logger::flush(Deadline deadline) { return core_->flush(deadline); }
bool Logger::shutdown(Deadline deadline) { return core_->shutdown(deadline); }
LoggerStats Logger::stats() const noexcept { return core_->stats(); }

}  // namespace lumen::log
