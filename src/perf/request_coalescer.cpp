#include "lumen/perf/request_coalescer.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <condition_variable>
#include <ctime>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <regex>
#include <unordered_map>
#include <vector>

#include "lumen/core/error.hpp"
#include "lumen/metrics/meter.hpp"
#include "lumen/trace/tracer.hpp"

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

std::size_t hash_of(std::string_view s) noexcept { return std::hash<std::string_view>{}(s); }

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

struct Entry {
  std::shared_ptr<const void> value;
  std::uint64_t expires_ns = 0;
  std::list<const StoredKey*>::iterator lru;
  // Second chance (CLOCK): a hit only sets this flag; eviction spares a flagged entry once.
  // Exact LRU would move a list node on every hit, which costs the hit path several cache misses.
  bool referenced = false;
};

// Counters written only under the shard's mutex: a plain load and store, no locked instruction;
// atomic only so that stats() may read them without the lock.
void bump(std::atomic<std::uint64_t>& c) noexcept {
  c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

struct alignas(64) Shard {
  std::mutex mu;
  std::atomic<std::uint64_t> hits{0};  // on the mutex's cache line: a hit touches one line less
  std::unordered_map<StoredKey, Entry, KeyHash, KeyEq> entries;
  std::unordered_map<StoredKey, std::shared_ptr<Flight>, KeyHash, KeyEq> flights;
  std::list<const StoredKey*> lru;  // keys of `entries`, oldest insertion first
  std::atomic<std::uint64_t> executions{0};
  std::atomic<std::uint64_t> coalesced{0};
  std::atomic<std::uint64_t> bypasses{0};
  std::atomic<std::uint64_t> evictions{0};
  std::atomic<std::uint64_t> expirations{0};
};

std::uint64_t coarse_monotonic_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

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
  explicit CoalescerShards(CoalescerOptions options)
      : opt_(std::move(options)),
        ttl_ns_(to_ns(opt_.ttl)),
        shard_count_(shard_count(opt_)),
        per_shard_capacity_(opt_.max_entries / shard_count_),
        shards_(new Shard[shard_count_]) {
    if (opt_.meter != nullptr) register_metrics(*opt_.meter);
  }
  ~CoalescerShards() { registrations_.clear(); }

  CoalescerCore::Ticket begin(std::string_view key, void* out, CopyOut copy);
  std::shared_ptr<const void> execute(std::string_view key, CoalescerCore::Ticket& ticket,
                                      Produce produce, void* fn);
  void wait(CoalescerCore::Ticket& ticket, void* out, CopyOut copy);
  std::size_t invalidate_if(const std::function<bool(const std::string&)>& match);
  std::size_t invalidate_key(std::string_view key);
  std::size_t purge_expired();
  CoalescerStats stats() const;

 private:
  Shard& shard_for(std::size_t hash) const noexcept {
    // High bits: the maps inside use the low ones for their buckets.
    return shards_[(hash >> 40) & (shard_count_ - 1)];
  }
  std::uint64_t now() const noexcept {
    return opt_.clock != nullptr ? opt_.clock->monotonic_ns() : coarse_monotonic_ns();
  }
  bool caching() const noexcept { return ttl_ns_ > 0 && per_shard_capacity_ > 0; }
  bool reserve_pending() noexcept;
  void finish(std::string_view key, CoalescerCore::Ticket& ticket,
              std::shared_ptr<const void> value, std::exception_ptr error);
  void insert_locked(Shard& s, const HashedKey& key, std::shared_ptr<const void> value);
  void erase_locked(Shard& s, std::unordered_map<StoredKey, Entry, KeyHash, KeyEq>::iterator it) {
    s.lru.erase(it->second.lru);
    s.entries.erase(it);
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
  if (!s.entries.empty()) {
    auto it = s.entries.find(hk);
    if (it != s.entries.end()) {
      if (now() < it->second.expires_ns) {
        // Written only when it changes: a store on every hit would pull the entry's cache line
        // away from the other cores that read it.
        if (!it->second.referenced) it->second.referenced = true;
        copy(it->second.value.get(), out);
        bump(s.hits);
        t.role = CoalescerCore::Role::kHit;
        return t;
      }
      erase_locked(s, it);
      bump(s.expirations);
    }
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

std::shared_ptr<const void> CoalescerShards::execute(std::string_view key,
                                                     CoalescerCore::Ticket& ticket,
                                                     Produce produce, void* fn) {
  const bool lead = ticket.role == CoalescerCore::Role::kLead;
  trace::Span span;
  std::optional<ContextScope> scope;
  if (opt_.tracer != nullptr) {
    span = opt_.tracer->start("coalescer.execute",
                              {.attributes = {{"coalescer.name", opt_.name},
                                              {"coalescer.key", std::string(key)},
                                              {"coalescer.bypass", !lead}}});
    scope.emplace(Context::current().with_span(span.context()));
    if (lead) {
      std::lock_guard lock(ticket.flight->mu);
      ticket.flight->leader_span = span.context();
    }
  }
  std::shared_ptr<const void> value;
  try {
    value = produce(fn);
  } catch (...) {
    std::exception_ptr error = std::current_exception();
    errors_.fetch_add(1, std::memory_order_relaxed);
    trace::detail::mark_failed(span, error);
    if (lead) finish(key, ticket, nullptr, error);
    throw;
  }
  span.set_status(trace::StatusCode::kOk);
  if (lead) finish(key, ticket, value, nullptr);
  return value;
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
  {
    std::lock_guard lock(flight.mu);
    flight.done = true;
    flight.value = std::move(value);
    flight.error = std::move(error);
  }
  flight.cv.notify_all();
}

void CoalescerShards::insert_locked(Shard& s, const HashedKey& key,
                                    std::shared_ptr<const void> value) {
  const std::uint64_t now_ns = now();
  const std::uint64_t expires = now_ns + ttl_ns_;
  if (auto it = s.entries.find(key); it != s.entries.end()) {
    it->second.value = std::move(value);
    it->second.expires_ns = expires;
    it->second.referenced = false;
    s.lru.splice(s.lru.end(), s.lru, it->second.lru);
    return;
  }
  // Lazy expiry: with one TTL for all, the oldest insertions expire first; drop a few of those.
  for (int i = 0; i < 2 && !s.lru.empty(); ++i) {
    auto oldest = s.entries.find(*s.lru.front());
    if (oldest->second.expires_ns > now_ns) break;
    erase_locked(s, oldest);
    bump(s.expirations);
  }
  while (s.entries.size() >= per_shard_capacity_ && !s.lru.empty()) {
    auto oldest = s.entries.find(*s.lru.front());
    if (oldest->second.referenced) {
      oldest->second.referenced = false;
      s.lru.splice(s.lru.end(), s.lru, oldest->second.lru);
      continue;
    }
    erase_locked(s, oldest);
    bump(s.evictions);
  }
  auto [it, inserted] =
      s.entries.emplace(StoredKey{std::string(key.key), key.hash}, Entry{std::move(value), expires, {}, false});
  s.lru.push_back(&it->first);
  it->second.lru = std::prev(s.lru.end());
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

std::size_t CoalescerShards::invalidate_if(const std::function<bool(const std::string&)>& match) {
  std::size_t removed = 0;
  for (std::size_t i = 0; i < shard_count_; ++i) {
    Shard& s = shards_[i];
    std::lock_guard lock(s.mu);
    for (auto it = s.entries.begin(); it != s.entries.end();) {
      if (match(it->first.key)) {
        auto next = std::next(it);
        erase_locked(s, it);
        it = next;
        ++removed;
      } else {
        ++it;
      }
    }
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
  auto it = s.entries.find(hk);
  if (it == s.entries.end()) return 0;
  erase_locked(s, it);
  return 1;
}

std::size_t CoalescerShards::purge_expired() {
  std::size_t removed = 0;
  for (std::size_t i = 0; i < shard_count_; ++i) {
    Shard& s = shards_[i];
    std::lock_guard lock(s.mu);
    const std::uint64_t now_ns = now();
    for (auto it = s.entries.begin(); it != s.entries.end();) {
      if (it->second.expires_ns <= now_ns) {
        auto next = std::next(it);
        erase_locked(s, it);
        bump(s.expirations);
        it = next;
        ++removed;
      } else {
        ++it;
      }
    }
  }
  return removed;
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
    std::lock_guard lock(s.mu);
    st.entries += s.entries.size();
  }
  st.errors = errors_.load(std::memory_order_relaxed);
  st.wait_timeouts = wait_timeouts_.load(std::memory_order_relaxed);
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
      {"lumen.coalescer.bypasses", "Calls run directly because max_pending keys were in flight",
       &CoalescerStats::bypasses},
      {"lumen.coalescer.errors", "Executions that threw", &CoalescerStats::errors},
      {"lumen.coalescer.wait_timeouts", "Waiters that gave up on the leader",
       &CoalescerStats::wait_timeouts},
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

CoalescerCore::CoalescerCore(CoalescerOptions options)
    : impl_(std::make_unique<CoalescerShards>(std::move(options))) {}
CoalescerCore::~CoalescerCore() = default;

CoalescerCore::Ticket CoalescerCore::begin(std::string_view key, void* out, CopyOut copy) {
  return impl_->begin(key, out, copy);
}
std::shared_ptr<const void> CoalescerCore::execute(std::string_view key, Ticket& ticket,
                                                   Produce produce, void* fn) {
  return impl_->execute(key, ticket, produce, fn);
}
void CoalescerCore::wait(Ticket& ticket, void* out, CopyOut copy) { impl_->wait(ticket, out, copy); }
std::size_t CoalescerCore::invalidate() {
  return impl_->invalidate_if([](const std::string&) { return true; });
}
std::size_t CoalescerCore::invalidate_key(std::string_view key) { return impl_->invalidate_key(key); }
std::size_t CoalescerCore::invalidate_matching(std::string_view regex) {
  std::optional<std::regex> re;
  try {
    re.emplace(std::string(regex), std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw Error("RequestCoalescer::invalidate_matching: '" + std::string(regex) +
                "' is not a valid ECMAScript regular expression (" + e.what() + ")");
  }
  return impl_->invalidate_if([&](const std::string& key) { return std::regex_search(key, *re); });
}
std::size_t CoalescerCore::purge_expired() { return impl_->purge_expired(); }
CoalescerStats CoalescerCore::stats() const { return impl_->stats(); }

}  // namespace lumen::perf::detail
