#include "perf/coalescer_shards.hpp"

#include "lumen/trace/tracer.hpp"

namespace lumen::perf::detail {

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

bool CoalescerShards::lookup(std::string_view key, void* out, CopyOut copy) {
  const std::size_t hash = hash_of(key);
  Shard& s = shard_for(hash);
  std::lock_guard lock(s.mu);
  const std::uint32_t i = s.entries.find(key, hash);
  if (i == EntryTable::kNone) return false;
  CacheEntry& e = s.entries.at(i);
  if (now() >= e.expires_ns) return false;
  if (!e.referenced) e.referenced = true;
  copy(e.value_slot(), out);
  bump(s.hits);
  return true;
}

Context CoalescerShards::start_execution(std::string_view key, CoalescerCore::Ticket& ticket,
                                         const Context& parent) {
  if (opt_.tracer == nullptr) return parent;
  const bool lead = ticket.role != CoalescerCore::Role::kBypass;
  ticket.span = std::make_shared<trace::Span>(
      opt_.tracer->start("coalescer.execute", {.parent = parent,
                                               .attributes = {{"coalescer.name", opt_.name},
                                                              {"coalescer.key", std::string(key)},
                                                              {"coalescer.bypass", !lead}}}));
  if (lead) {
    lumen::internal::MutexLock lock(ticket.flight->mu);
    ticket.flight->leader_span = ticket.span->context();
  }
  return parent.with_span(ticket.span->context());
}

// The callers hand their exception over (std::move): by value, the chain owns it.
// NOLINTBEGIN(performance-unnecessary-value-param)
std::shared_ptr<const void> CoalescerShards::end_execution(std::string_view key,
                                                           CoalescerCore::Ticket& ticket,
                                                           std::shared_ptr<const void> value,
                                                           std::exception_ptr error) {
  // NOLINTEND(performance-unnecessary-value-param)
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
                                                     CoalescerCore::Ticket& ticket, Produce produce,
                                                     void* fn) {
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
    lumen::internal::MutexLock lock(f.mu);
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
    lumen::internal::MutexLock lock(flight.mu);
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
  if (const std::uint32_t i = s.entries.find(key.key, key.hash); i != EntryTable::kNone)
    s.entries.erase(i);
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
  const auto limit =
      std::min<std::chrono::nanoseconds>(opt_.wait_timeout, std::chrono::hours(24 * 365));
  const Clock& clock = clock_or_system(opt_.clock);
  lumen::internal::UniqueLock lock(f.mu);
  // Unchecked: Clock::wait_until calls it with the lock held, but from a lambda of its own that
  // the analysis sees holding nothing.
  const auto done = [&]() LUMEN_NO_THREAD_SAFETY_ANALYSIS { return f.done; };
  if (!clock.wait_until(lock.native(), f.cv, clock.now() + limit, done)) {
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
    const std::size_t n =
        erase_entries_if(s, [&](const CacheEntry& e) { return dead_at(e) <= now_ns; });
    for (std::size_t k = 0; k < n; ++k) bump(s.expirations);
    removed += n;
  }
  return removed;
}

}  // namespace lumen::perf::detail
