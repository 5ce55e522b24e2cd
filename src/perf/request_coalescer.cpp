#include "lumen/perf/request_coalescer.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <regex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "lumen/core/context.hpp"
#include "lumen/core/error.hpp"
#include "lumen/metrics/meter.hpp"
#include "lumen/trace/tracer.hpp"
#include "perf/entry_table.hpp"
#include "perf/ticking_clock.hpp"

namespace lumen::perf::detail {

// One execution in progress, shared by its leader and its waiters.
struct Flight {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::shared_ptr<const void> value;
  std::exception_ptr error;
  SpanContext leader_span;
  bool cacheable = true;  // guarded by the shard's mutex; an invalidate during the flight clears it
  std::vector<std::function<void()>> callbacks;  // asynchronous waiters, called once done
};

namespace {

struct HashedKey {
  std::string_view key;
  std::size_t hash;
};

// A stored key keeps its hash: libstdc++ treats a user-defined hasher as cheap and so does not
// cache hash codes in the nodes, which makes every bucket walk rehash neighbouring keys.
struct StoredKey {
  std::string key;
  std::size_t hash;
};

std::size_t hash_of(std::string_view s) noexcept { return hash_key(s); }

// Transparent, so that a lookup hashes the caller's string_view once and never copies it.
struct KeyHash {
  using is_transparent = void;
  std::size_t operator()(const StoredKey& k) const noexcept { return k.hash; }
  std::size_t operator()(const HashedKey& k) const noexcept { return k.hash; }
};
struct KeyEq {
  using is_transparent = void;
  bool operator()(const StoredKey& a, const StoredKey& b) const noexcept {
    return a.hash == b.hash && a.key == b.key;
  }
  bool operator()(const HashedKey& a, const StoredKey& b) const noexcept {
    return a.hash == b.hash && a.key == b.key;
  }
  bool operator()(const StoredKey& a, const HashedKey& b) const noexcept {
    return a.hash == b.hash && a.key == b.key;
  }
};


// Counters written only under the shard's mutex: a plain load and store, no locked instruction;
// atomic only so that stats() may read them without the lock.
void bump(std::atomic<std::uint64_t>& c) noexcept {
  c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

struct alignas(64) Shard {
  ShardLock mu;
  std::atomic<std::uint64_t> hits{0};  // on the mutex's cache line: a hit touches one line less
  // Exact LRU would move an entry on every hit, which costs the hit path several cache misses:
  // entries keep insertion order and a second-chance flag (CLOCK) instead. The table's members
  // that a lookup reads (mask, size, slot and entry arrays) come first, on the lock's line.
  EntryTable entries;
  std::unordered_map<StoredKey, std::shared_ptr<Flight>, KeyHash, KeyEq> flights;
  std::atomic<std::uint64_t> executions{0};
  std::atomic<std::uint64_t> coalesced{0};
  std::atomic<std::uint64_t> bypasses{0};
  std::atomic<std::uint64_t> evictions{0};
  std::atomic<std::uint64_t> expirations{0};
  std::atomic<std::uint64_t> stale_hits{0};
};

// A background refresh (stale-while-revalidate) waiting for the refresh thread.
struct RefreshTask {
  std::string key;
  CoalescerCore::Ticket ticket;
  std::function<std::shared_ptr<const void>()> work;
  Context context;  // the caller's: the refresh's span joins its trace
};

constexpr std::size_t kMaxQueuedRefreshes = 1024;

// A power of two (the hit path picks a shard with a mask, not a division), and never more shards
// than entries, so that the per-shard bounds add up to at most max_entries.
std::size_t shard_count(const CoalescerOptions& o) noexcept {
  std::size_t n = std::bit_floor(std::max<std::size_t>(1, o.shards));
  while (o.max_entries != 0 && n > o.max_entries) n /= 2;
  return std::max<std::size_t>(1, n);
}

std::uint64_t to_ns(std::chrono::nanoseconds d) noexcept {
  return d.count() <= 0 ? 0 : static_cast<std::uint64_t>(d.count());
}

}  // namespace

class CoalescerShards {
 public:
  CoalescerShards(CoalescerOptions options, const ValueOps& ops)
      : opt_(std::move(options)),
        ttl_ns_(to_ns(opt_.ttl)),
        shard_count_(shard_count(opt_)),
        per_shard_capacity_(opt_.max_entries / shard_count_),
        shards_(new Shard[shard_count_]) {
    for (std::size_t i = 0; i < shard_count_; ++i) shards_[i].entries.set_value_ops(&ops);
    if (opt_.meter != nullptr) register_metrics(*opt_.meter);
  }
  ~CoalescerShards() {
    registrations_.clear();
    {
      std::lock_guard lock(refresh_mu_);
      refresh_stop_ = true;
    }
    refresh_cv_.notify_all();
    if (refresh_thread_.joinable()) refresh_thread_.join();
  }

  CoalescerCore::Ticket begin(std::string_view key, void* out, CopyOut copy);
  std::shared_ptr<const void> execute(std::string_view key, CoalescerCore::Ticket& ticket,
                                      Produce produce, void* fn);
  Context start_execution(std::string_view key, CoalescerCore::Ticket& ticket, const Context& parent);
  std::shared_ptr<const void> end_execution(std::string_view key, CoalescerCore::Ticket& ticket,
                                            std::shared_ptr<const void> value,
                                            std::exception_ptr error);
  void on_done(CoalescerCore::Ticket& ticket, std::function<void()> callback);
  void wait(CoalescerCore::Ticket& ticket, void* out, CopyOut copy);
  std::size_t invalidate_if(const std::function<bool(std::string_view)>& match);
  std::size_t invalidate_key(std::string_view key);
  std::size_t purge_expired();
  CoalescerStats stats() const;

  bool has_shared() const noexcept { return opt_.shared_cache != nullptr; }
  std::optional<std::string> shared_load(std::string_view key);
  void shared_store(std::string_view key, std::string_view bytes);
  void shared_codec_failed() noexcept { shared_errors_.fetch_add(1, std::memory_order_relaxed); }
  void count_wait_timeout() noexcept { wait_timeouts_.fetch_add(1, std::memory_order_relaxed); }
  [[nodiscard]] std::chrono::nanoseconds wait_timeout() const noexcept { return opt_.wait_timeout; }
  // Runs an erase on the shared cache; a failure is counted, never thrown.
  void shared_erase(const std::function<void(ResultCache&)>& erase) noexcept;
  void refresh(std::string_view key, CoalescerCore::Ticket ticket,
               std::function<std::shared_ptr<const void>()> work);

 private:
  Shard& shard_for(std::size_t hash) const noexcept {
    // High bits: the maps inside use the low ones for their buckets.
    return shards_[(hash >> 40) & (shard_count_ - 1)];
  }
  std::uint64_t now() const noexcept {
    return opt_.clock != nullptr ? opt_.clock->monotonic_ns() : ticking_monotonic_ns();
  }
  bool caching() const noexcept { return ttl_ns_ > 0 && per_shard_capacity_ > 0; }
  // When an entry is gone for good: its ttl plus the stale grace period.
  std::uint64_t dead_at(const CacheEntry& e) const noexcept { return e.expires_ns + grace_ns_; }
  void refresh_loop();
  bool shared_usable() noexcept {
    const std::uint64_t until = shared_down_until_.load(std::memory_order_relaxed);
    if (until == 0 || now() >= until) return true;
    shared_skipped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  void shared_failed() noexcept {
    shared_errors_.fetch_add(1, std::memory_order_relaxed);
    shared_down_until_.store(std::max<std::uint64_t>(1, now() + shared_retry_ns_),
                             std::memory_order_relaxed);
  }
  bool reserve_pending() noexcept;
  void finish(std::string_view key, CoalescerCore::Ticket& ticket,
              std::shared_ptr<const void> value, std::exception_ptr error);
  void insert_locked(Shard& s, const HashedKey& key, const std::shared_ptr<const void>& value) noexcept;
  // Removes every entry for which pred(entry) holds; returns how many.
  template <typename Pred>
  std::size_t erase_entries_if(Shard& s, Pred pred) {
    std::size_t removed = 0;
    for (std::uint32_t i = s.entries.oldest(); i != EntryTable::kNone;) {
      const std::uint32_t next = s.entries.next_of(i);
      if (pred(s.entries.at(i))) {
        s.entries.erase(i);
        ++removed;
      }
      i = next;
    }
    return removed;
  }
  void register_metrics(metrics::Meter& meter);

  const CoalescerOptions opt_;
  const std::uint64_t ttl_ns_;
  const std::size_t shard_count_;
  const std::size_t per_shard_capacity_;
  std::unique_ptr<Shard[]> shards_;
  std::atomic<std::size_t> in_flight_{0};
  std::atomic<std::uint64_t> errors_{0};
  std::atomic<std::uint64_t> wait_timeouts_{0};
  const std::uint64_t shared_ttl_ns_ = opt_.shared_ttl.count() > 0 ? to_ns(opt_.shared_ttl) : ttl_ns_;
  const std::uint64_t shared_retry_ns_ = to_ns(opt_.shared_retry_after);
  std::atomic<std::uint64_t> shared_down_until_{0};  // 0: usable
  std::atomic<std::uint64_t> shared_hits_{0};
  std::atomic<std::uint64_t> shared_errors_{0};
  std::atomic<std::uint64_t> shared_skipped_{0};
  const std::uint64_t grace_ns_ = to_ns(opt_.stale_grace);
  std::atomic<std::uint64_t> refresh_drops_{0};
  std::mutex refresh_mu_;
  std::condition_variable refresh_cv_;
  std::deque<RefreshTask> refresh_queue_;
  bool refresh_stop_ = false;
  std::thread refresh_thread_;  // started by the first refresh
  std::vector<metrics::ObservableRegistration> registrations_;
};

bool CoalescerShards::reserve_pending() noexcept {
  std::size_t n = in_flight_.load(std::memory_order_relaxed);
  do {
    if (opt_.max_pending != 0 && n >= opt_.max_pending) return false;
  } while (!in_flight_.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
  return true;
}

CoalescerCore::Ticket CoalescerShards::begin(std::string_view key, void* out, CopyOut copy) {
  CoalescerCore::Ticket t;
  t.hash = hash_of(key);
  const HashedKey hk{key, t.hash};
  Shard& s = shard_for(t.hash);
  std::lock_guard lock(s.mu);
  if (const std::uint32_t i = s.entries.find(key, t.hash); i != EntryTable::kNone) {
    CacheEntry& e = s.entries.at(i);
    const std::uint64_t now_ns = now();  // read once: it is a fifth of a hit's cost
    if (now_ns < e.expires_ns) {
      // Written only when it changes: a store on every hit would pull the entry's cache line
      // away from the other cores that read it.
      if (!e.referenced) e.referenced = true;
      copy(e.value_slot(), out);
      bump(s.hits);
      t.role = CoalescerCore::Role::kHit;
      return t;
    }
    if (grace_ns_ > 0 && now_ns < dead_at(e)) {
      copy(e.value_slot(), out);
      bump(s.stale_hits);
      t.role = CoalescerCore::Role::kStale;
      // One refresh at a time: a flight for the key means one is already running.
      if (s.flights.find(hk) == s.flights.end() && reserve_pending()) {
        t.flight = std::make_shared<Flight>();
        s.flights.emplace(StoredKey{std::string(key), t.hash}, t.flight);
        bump(s.executions);
      }
      return t;
    }
    s.entries.erase(i);
    bump(s.expirations);
  }
  if (auto f = s.flights.find(hk); f != s.flights.end()) {
    t.flight = f->second;
    bump(s.coalesced);
    t.role = CoalescerCore::Role::kWait;
    return t;
  }
  if (!reserve_pending()) {
    bump(s.bypasses);
    t.role = CoalescerCore::Role::kBypass;
    return t;
  }
  t.flight = std::make_shared<Flight>();
  s.flights.emplace(StoredKey{std::string(key), t.hash}, t.flight);
  bump(s.executions);
  t.role = CoalescerCore::Role::kLead;
  return t;
}

Context CoalescerShards::start_execution(std::string_view key, CoalescerCore::Ticket& ticket,
                                         const Context& parent) {
  if (opt_.tracer == nullptr) return parent;
  const bool lead = ticket.role != CoalescerCore::Role::kBypass;
  ticket.span = std::make_shared<trace::Span>(opt_.tracer->start(
      "coalescer.execute", {.parent = parent,
                            .attributes = {{"coalescer.name", opt_.name},
                                           {"coalescer.key", std::string(key)},
                                           {"coalescer.bypass", !lead}}}));
  if (lead) {
    std::lock_guard lock(ticket.flight->mu);
    ticket.flight->leader_span = ticket.span->context();
  }
  return parent.with_span(ticket.span->context());
}

std::shared_ptr<const void> CoalescerShards::end_execution(std::string_view key,
                                                           CoalescerCore::Ticket& ticket,
                                                           std::shared_ptr<const void> value,
                                                           std::exception_ptr error) {
  const bool lead = ticket.role != CoalescerCore::Role::kBypass;
  if (error) {
    errors_.fetch_add(1, std::memory_order_relaxed);
    if (ticket.span) trace::detail::mark_failed(*ticket.span, error);
    ticket.span.reset();  // ends it
    if (lead) finish(key, ticket, nullptr, error);
    std::rethrow_exception(error);
  }
  if (ticket.span) ticket.span->set_status(trace::StatusCode::kOk);
  ticket.span.reset();
  if (lead) finish(key, ticket, value, nullptr);
  return value;
}

std::shared_ptr<const void> CoalescerShards::execute(std::string_view key,
                                                     CoalescerCore::Ticket& ticket,
                                                     Produce produce, void* fn) {
  std::shared_ptr<const void> value;
  std::exception_ptr error;
  {
    // Current while fn runs, so that the function's own spans are children of the execution.
    std::optional<ContextScope> scope;
    if (opt_.tracer != nullptr) scope.emplace(start_execution(key, ticket, Context::current()));
    try {
      value = produce(fn);
    } catch (...) {
      error = std::current_exception();
    }
  }
  return end_execution(key, ticket, std::move(value), std::move(error));
}

void CoalescerShards::on_done(CoalescerCore::Ticket& ticket, std::function<void()> callback) {
  Flight& f = *ticket.flight;
  {
    std::lock_guard lock(f.mu);
    if (!f.done) {
      f.callbacks.push_back(std::move(callback));
      return;
    }
  }
  callback();
}

void CoalescerShards::finish(std::string_view key, CoalescerCore::Ticket& ticket,
                             std::shared_ptr<const void> value, std::exception_ptr error) {
  Flight& flight = *ticket.flight;
  const HashedKey hk{key, ticket.hash};
  Shard& s = shard_for(ticket.hash);
  {
    std::lock_guard lock(s.mu);
    auto it = s.flights.find(hk);
    if (it != s.flights.end() && it->second == ticket.flight) s.flights.erase(it);
    // Cached and unregistered in one step: a caller sees either the flight or the entry.
    if (value != nullptr && flight.cacheable && caching()) insert_locked(s, hk, value);
  }
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  std::vector<std::function<void()>> callbacks;
  {
    std::lock_guard lock(flight.mu);
    flight.done = true;
    flight.value = std::move(value);
    flight.error = std::move(error);
    callbacks.swap(flight.callbacks);
  }
  flight.cv.notify_all();
  for (auto& cb : callbacks) {
    try {
      cb();
    } catch (...) {
      // A waiter's resumption failing must not keep the others waiting.
    }
  }
}

void CoalescerShards::insert_locked(Shard& s, const HashedKey& key,
                                    const std::shared_ptr<const void>& value) noexcept {
  const std::uint64_t now_ns = now();
  const std::uint64_t expires = now_ns + ttl_ns_;
  // A replaced value is erased and inserted again as the newest, unreferenced entry.
  if (const std::uint32_t i = s.entries.find(key.key, key.hash); i != EntryTable::kNone) s.entries.erase(i);
  // Lazy expiry: with one TTL for all, the oldest insertions expire first; drop a few of those.
  for (int n = 0; n < 2 && s.entries.size() > 0; ++n) {
    const std::uint32_t oldest = s.entries.oldest();
    if (dead_at(s.entries.at(oldest)) > now_ns) break;
    s.entries.erase(oldest);
    bump(s.expirations);
  }
  while (s.entries.size() >= per_shard_capacity_ && s.entries.size() > 0) {
    const std::uint32_t oldest = s.entries.oldest();
    CacheEntry& e = s.entries.at(oldest);
    if (e.referenced) {
      e.referenced = false;
      s.entries.move_to_newest(oldest);
      continue;
    }
    s.entries.erase(oldest);
    bump(s.evictions);
  }
  try {
    (void)s.entries.insert(key.key, key.hash, value, expires);
  } catch (...) {
    // The value's copy (or memory) failed: it is not cached; the waiters still get it.
  }
}

void CoalescerShards::wait(CoalescerCore::Ticket& ticket, void* out, CopyOut copy) {
  trace::Span span;
  if (opt_.tracer != nullptr) {
    span = opt_.tracer->start("coalescer.wait", {.attributes = {{"coalescer.name", opt_.name}}});
  }
  Flight& f = *ticket.flight;
  const auto limit = std::min<std::chrono::nanoseconds>(opt_.wait_timeout, std::chrono::hours(24 * 365));
  std::unique_lock lock(f.mu);
  if (!f.cv.wait_for(lock, limit, [&] { return f.done; })) {
    lock.unlock();
    wait_timeouts_.fetch_add(1, std::memory_order_relaxed);
    CoalescerTimeout timeout("coalescer '" + opt_.name + "': waited " +
                             std::to_string(limit.count() / 1'000'000) +
                             " ms for the leader's result; the leader keeps running");
    trace::detail::mark_failed(span, std::make_exception_ptr(timeout));
    throw timeout;
  }
  if (span.is_recording() && f.leader_span.is_valid()) span.add_link(f.leader_span);
  if (f.error) {
    std::exception_ptr error = f.error;
    lock.unlock();
    trace::detail::mark_failed(span, error);
    std::rethrow_exception(error);
  }
  copy(f.value.get(), out);
  lock.unlock();
  span.set_status(trace::StatusCode::kOk);
}

std::size_t CoalescerShards::invalidate_if(const std::function<bool(std::string_view)>& match) {
  std::size_t removed = 0;
  for (std::size_t i = 0; i < shard_count_; ++i) {
    Shard& s = shards_[i];
    std::lock_guard lock(s.mu);
    removed += erase_entries_if(s, [&](const CacheEntry& e) { return match(e.key()); });
    for (auto& [key, flight] : s.flights) {
      if (match(key.key)) flight->cacheable = false;
    }
  }
  return removed;
}

std::size_t CoalescerShards::invalidate_key(std::string_view key) {
  const HashedKey hk{key, hash_of(key)};
  Shard& s = shard_for(hk.hash);
  std::lock_guard lock(s.mu);
  if (auto f = s.flights.find(hk); f != s.flights.end()) f->second->cacheable = false;
  const std::uint32_t i = s.entries.find(key, hk.hash);
  if (i == EntryTable::kNone) return 0;
  s.entries.erase(i);
  return 1;
}

std::size_t CoalescerShards::purge_expired() {
  std::size_t removed = 0;
  for (std::size_t i = 0; i < shard_count_; ++i) {
    Shard& s = shards_[i];
    std::lock_guard lock(s.mu);
    const std::uint64_t now_ns = now();
    const std::size_t n = erase_entries_if(s, [&](const CacheEntry& e) { return dead_at(e) <= now_ns; });
    for (std::size_t k = 0; k < n; ++k) bump(s.expirations);
    removed += n;
  }
  return removed;
}

void CoalescerShards::refresh(std::string_view key, CoalescerCore::Ticket ticket,
                              std::function<std::shared_ptr<const void>()> work) {
  {
    std::lock_guard lock(refresh_mu_);
    if (refresh_queue_.size() < kMaxQueuedRefreshes && !refresh_stop_) {
      refresh_queue_.push_back({std::string(key), std::move(ticket), std::move(work), Context::current()});
      if (!refresh_thread_.joinable()) refresh_thread_ = std::thread([this] { refresh_loop(); });
      refresh_cv_.notify_one();
      return;
    }
  }
  refresh_drops_.fetch_add(1, std::memory_order_relaxed);
  // The flight was registered for this refresh: end it, or later callers would wait on it.
  finish(key, ticket, nullptr,
         std::make_exception_ptr(std::runtime_error("coalescer '" + opt_.name +
                                                    "': background refresh dropped (queue full)")));
}

void CoalescerShards::refresh_loop() {
  std::unique_lock lock(refresh_mu_);
  for (;;) {
    refresh_cv_.wait(lock, [&] { return refresh_stop_ || !refresh_queue_.empty(); });
    if (refresh_stop_) break;
    RefreshTask task = std::move(refresh_queue_.front());
    refresh_queue_.pop_front();
    lock.unlock();
    {
      ContextScope scope(task.context);
      try {
        (void)execute(task.key, task.ticket,
                      [](void* fn) { return (*static_cast<decltype(task.work)*>(fn))(); }, &task.work);
      } catch (...) {
        // Counted by execute(); the stale value stays until its grace period ends.
      }
    }
    lock.lock();
  }
  // Shutting down: end the flights of refreshes that never ran, so no caller waits on them.
  while (!refresh_queue_.empty()) {
    RefreshTask task = std::move(refresh_queue_.front());
    refresh_queue_.pop_front();
    lock.unlock();
    finish(task.key, task.ticket, nullptr,
           std::make_exception_ptr(std::runtime_error("coalescer destroyed before the refresh ran")));
    lock.lock();
  }
}

std::optional<std::string> CoalescerShards::shared_load(std::string_view key) {
  if (!shared_usable()) return std::nullopt;
  try {
    std::optional<std::string> bytes = opt_.shared_cache->load(key);
    if (bytes) shared_hits_.fetch_add(1, std::memory_order_relaxed);
    return bytes;
  } catch (...) {
    shared_failed();
    return std::nullopt;
  }
}

void CoalescerShards::shared_store(std::string_view key, std::string_view bytes) {
  if (shared_ttl_ns_ == 0 || !shared_usable()) return;
  try {
    opt_.shared_cache->store(key, bytes, std::chrono::nanoseconds(shared_ttl_ns_));
  } catch (...) {
    shared_failed();
  }
}

void CoalescerShards::shared_erase(const std::function<void(ResultCache&)>& erase) noexcept {
  // Not skipped while the cache is marked down: a missed invalidation would serve stale data
  // to every process once it is back, so each invalidation tries.
  if (opt_.shared_cache == nullptr) return;
  try {
    erase(*opt_.shared_cache);
  } catch (...) {
    shared_failed();
  }
}

CoalescerStats CoalescerShards::stats() const {
  CoalescerStats st;
  for (std::size_t i = 0; i < shard_count_; ++i) {
    Shard& s = shards_[i];
    st.executions += s.executions.load(std::memory_order_relaxed);
    st.coalesced += s.coalesced.load(std::memory_order_relaxed);
    st.hits += s.hits.load(std::memory_order_relaxed);
    st.bypasses += s.bypasses.load(std::memory_order_relaxed);
    st.evictions += s.evictions.load(std::memory_order_relaxed);
    st.expirations += s.expirations.load(std::memory_order_relaxed);
    st.stale_hits += s.stale_hits.load(std::memory_order_relaxed);
    std::lock_guard lock(s.mu);
    st.entries += s.entries.size();
  }
  st.errors = errors_.load(std::memory_order_relaxed);
  st.wait_timeouts = wait_timeouts_.load(std::memory_order_relaxed);
  st.shared_hits = shared_hits_.load(std::memory_order_relaxed);
  st.shared_errors = shared_errors_.load(std::memory_order_relaxed);
  st.shared_skipped = shared_skipped_.load(std::memory_order_relaxed);
  st.refresh_drops = refresh_drops_.load(std::memory_order_relaxed);
  st.in_flight = in_flight_.load(std::memory_order_relaxed);
  return st;
}

void CoalescerShards::register_metrics(metrics::Meter& meter) {
  struct Def {
    const char* name;
    const char* description;
    std::uint64_t CoalescerStats::*field;
  };
  static constexpr Def kCounters[] = {
      {"lumen.coalescer.executions", "Executions run by a leader", &CoalescerStats::executions},
      {"lumen.coalescer.coalesced", "Calls that shared another caller's execution",
       &CoalescerStats::coalesced},
      {"lumen.coalescer.hits", "Calls served from the cache", &CoalescerStats::hits},
      {"lumen.coalescer.stale_hits", "Calls served a stale value while it was refreshed",
       &CoalescerStats::stale_hits},
      {"lumen.coalescer.refresh_drops", "Background refreshes dropped (queue full)",
       &CoalescerStats::refresh_drops},
      {"lumen.coalescer.bypasses", "Calls run directly because max_pending keys were in flight",
       &CoalescerStats::bypasses},
      {"lumen.coalescer.errors", "Executions that threw", &CoalescerStats::errors},
      {"lumen.coalescer.wait_timeouts", "Waiters that gave up on the leader",
       &CoalescerStats::wait_timeouts},
      {"lumen.coalescer.shared_hits", "Executions answered by the shared cache",
       &CoalescerStats::shared_hits},
      {"lumen.coalescer.shared_errors", "Shared-cache failures (the function ran directly)",
       &CoalescerStats::shared_errors},
      {"lumen.coalescer.shared_skipped", "Shared-cache lookups skipped after a failure",
       &CoalescerStats::shared_skipped},
  };
  for (const Def& d : kCounters) {
    registrations_.push_back(meter.create_observable_counter(
        d.name,
        [this, field = d.field](metrics::ObserverResult& r) {
          r.observe(static_cast<std::int64_t>(stats().*field), {{"coalescer", opt_.name}});
        },
        {.description = d.description}));
  }
  registrations_.push_back(meter.create_observable_gauge(
      "lumen.coalescer.entries",
      [this](metrics::ObserverResult& r) {
        r.observe(static_cast<std::int64_t>(stats().entries), {{"coalescer", opt_.name}});
      },
      {.description = "Results cached now"}));
}

CoalescerCore::CoalescerCore(CoalescerOptions options, const ValueOps& ops)
    : impl_(std::make_unique<CoalescerShards>(std::move(options), ops)) {}
CoalescerCore::~CoalescerCore() = default;

CoalescerCore::Ticket CoalescerCore::begin(std::string_view key, void* out, CopyOut copy) {
  return impl_->begin(key, out, copy);
}
std::shared_ptr<const void> CoalescerCore::execute(std::string_view key, Ticket& ticket,
                                                   Produce produce, void* fn) {
  return impl_->execute(key, ticket, produce, fn);
}
void CoalescerCore::wait(Ticket& ticket, void* out, CopyOut copy) { impl_->wait(ticket, out, copy); }
Context CoalescerCore::start_execution(std::string_view key, Ticket& ticket, const Context& parent) {
  return impl_->start_execution(key, ticket, parent);
}
std::shared_ptr<const void> CoalescerCore::end_execution(std::string_view key, Ticket& ticket,
                                                         std::shared_ptr<const void> value,
                                                         std::exception_ptr error) {
  return impl_->end_execution(key, ticket, std::move(value), std::move(error));
}
void CoalescerCore::on_done(Ticket& ticket, std::function<void()> callback) {
  impl_->on_done(ticket, std::move(callback));
}
void CoalescerCore::count_wait_timeout() noexcept { impl_->count_wait_timeout(); }
std::size_t CoalescerCore::invalidate() {
  impl_->shared_erase([](ResultCache& c) { (void)c.erase_if([](std::string_view) { return true; }); });
  return impl_->invalidate_if([](std::string_view) { return true; });
}
std::size_t CoalescerCore::invalidate_key(std::string_view key) {
  impl_->shared_erase([&](ResultCache& c) { (void)c.erase(key); });
  return impl_->invalidate_key(key);
}
std::size_t CoalescerCore::invalidate_matching(std::string_view regex) {
  std::optional<std::regex> re;
  try {
    re.emplace(std::string(regex), std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw Error("RequestCoalescer::invalidate_matching: '" + std::string(regex) +
                "' is not a valid ECMAScript regular expression (" + e.what() + ")");
  }
  impl_->shared_erase([&](ResultCache& c) {
    (void)c.erase_if([&](std::string_view key) { return std::regex_search(key.begin(), key.end(), *re); });
  });
  return impl_->invalidate_if(
      [&](std::string_view key) { return std::regex_search(key.begin(), key.end(), *re); });
}
std::size_t CoalescerCore::purge_expired() { return impl_->purge_expired(); }
CoalescerStats CoalescerCore::stats() const { return impl_->stats(); }
bool CoalescerCore::has_shared() const noexcept { return impl_->has_shared(); }
std::optional<std::string> CoalescerCore::shared_load(std::string_view key) {
  return impl_->shared_load(key);
}
void CoalescerCore::shared_store(std::string_view key, std::string_view bytes) {
  impl_->shared_store(key, bytes);
}
void CoalescerCore::shared_codec_failed() noexcept { impl_->shared_codec_failed(); }
std::chrono::nanoseconds CoalescerCore::wait_timeout() const noexcept { return impl_->wait_timeout(); }
void CoalescerCore::refresh(std::string_view key, Ticket ticket,
                            std::function<std::shared_ptr<const void>()> work) {
  impl_->refresh(key, std::move(ticket), std::move(work));
}

}  // namespace lumen::perf::detail
