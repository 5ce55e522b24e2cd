#include "metrics/instrument_state.hpp"

#include "lumen/core/internal/short_bytes.hpp"
#include "metrics/exponential_cell.hpp"
#include "metrics/series_cache.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace lumen::metrics::detail {
namespace {

constexpr std::uint64_t kFnvOffset = 14695981039346656037ULL;
constexpr std::uint64_t kFnvPrime = 1099511628211ULL;

using lumen::detail::load64;
using lumen::detail::same_bytes;
using lumen::detail::tail_word;

// Word at a time: attribute strings are short, and a byte-wise hash would dominate the lookup.
inline std::uint64_t mix_bytes(std::uint64_t h, const void* data, std::size_t n) noexcept {
  constexpr std::uint64_t kMul = 0x9E3779B97F4A7C15ULL;
  const auto* p = static_cast<const unsigned char*>(data);
  while (n >= 8) {
    h = (h ^ load64(p)) * kMul;
    h ^= h >> 32;
    p += 8;
    n -= 8;
  }
  h = (h ^ tail_word(p, n) ^ (static_cast<std::uint64_t>(n) << 56)) * kMul;
  return h ^ (h >> 29);
}

inline std::uint64_t mix_u64(std::uint64_t h, std::uint64_t v) noexcept {
  h ^= v;
  h *= kFnvPrime;
  return h ^ (h >> 29);
}

std::uint64_t pair_hash(const KeyValue& kv) noexcept {
  const std::uint64_t key = mix_bytes(kFnvOffset, kv.key.data(), kv.key.size());
  // The type seeds the value's hash, so that "1", 1 and true differ.
  const std::uint64_t seed = kFnvOffset + static_cast<std::uint64_t>(kv.value.type()) + 1;
  std::uint64_t value = 0;
  switch (kv.value.type()) {
    case AttrValue::Type::kString:
      value = mix_bytes(seed, kv.value.as_string().data(), kv.value.as_string().size());
      break;
    case AttrValue::Type::kBool:
    case AttrValue::Type::kInt:
      value = mix_u64(seed, static_cast<std::uint64_t>(kv.value.as_int()));
      break;
    case AttrValue::Type::kDouble:
      value = mix_u64(seed, std::bit_cast<std::uint64_t>(kv.value.as_double()));
      break;
  }
  return key ^ std::rotl(value, 23);
}

// Lexicographic order of keys; attribute keys of a call site usually differ in their first
// character, which settles it without a call to memcmp.
inline bool key_less(std::string_view a, std::string_view b) noexcept {
  if (!a.empty() && !b.empty() && a.front() != b.front()) {
    return static_cast<unsigned char>(a.front()) < static_cast<unsigned char>(b.front());
  }
  return a < b;
}

bool key_allowed(const InstrumentConfig& config, std::string_view key) {
  if (config.keep_keys && std::find(config.keep_keys->begin(), config.keep_keys->end(), key) ==
                              config.keep_keys->end()) {
    return false;
  }
  return std::find(config.drop_keys.begin(), config.drop_keys.end(), key) == config.drop_keys.end();
}

// Never 0 (an empty cache entry) and never reused, so a thread's cache entry for an instrument
// that died cannot match the one that took its address.
std::uint64_t next_instrument_id() noexcept {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

CanonicalAttrs::CanonicalAttrs(const InstrumentConfig& config, const KeyValue* attrs,
                               std::size_t n) {
  if (n > kInline) {
    heap_.resize(n);
    items_ = heap_.data();
  }
  const bool filtered = config.keep_keys.has_value() || !config.drop_keys.empty();
  // Insertion sort: call sites carry a handful of attributes. Stable, so among repeated keys the
  // last one given ends up last.
  for (std::size_t k = 0; k < n; ++k) {
    const KeyValue* kv = &attrs[k];
    if (filtered && !key_allowed(config, kv->key)) continue;
    std::size_t j = n_;
    while (j > 0 && key_less(kv->key, items_[j - 1]->key)) {
      items_[j] = items_[j - 1];
      --j;
    }
    items_[j] = kv;
    ++n_;
  }
  // Deduplicate keys, keeping the last occurrence.
  std::size_t out = 0;
  for (std::size_t k = 0; k < n_; ++k) {
    if (k + 1 < n_ && same_bytes(items_[k + 1]->key, items_[k]->key)) continue;
    items_[out++] = items_[k];
  }
  n_ = out;

  // Each pair is hashed on its own and only then folded in order: the pairs' hashes do not wait
  // for each other, so the CPU computes them side by side.
  std::uint64_t h = kFnvOffset;
  for (std::size_t k = 0; k < n_; ++k) h = mix_u64(h, pair_hash(*items_[k]));
  hash_ = h;
}

bool CanonicalAttrs::matches(const std::vector<StoredAttr>& stored) const noexcept {
  if (stored.size() != n_) return false;
  for (std::size_t k = 0; k < n_; ++k) {
    if (!same_bytes(stored[k].key, items_[k]->key) || !same_value(stored[k], items_[k]->value)) {
      return false;
    }
  }
  return true;
}

std::vector<StoredAttr> CanonicalAttrs::store() const {
  std::vector<StoredAttr> out(n_);
  for (std::size_t k = 0; k < n_; ++k) {
    const KeyValue& kv = *items_[k];
    out[k].key = kv.key;
    out[k].type = kv.value.type();
    switch (kv.value.type()) {
      case AttrValue::Type::kString:
        out[k].str = kv.value.as_string();
        break;
      case AttrValue::Type::kBool:
      case AttrValue::Type::kInt:
        out[k].i = kv.value.as_int();
        break;
      case AttrValue::Type::kDouble:
        out[k].d = kv.value.as_double();
        break;
    }
  }
  return out;
}

InstrumentState::Table::Table(std::size_t capacity)
    : mask(capacity - 1), slots(std::make_unique<std::atomic<Series*>[]>(capacity)) {
  for (std::size_t i = 0; i < capacity; ++i) slots[i].store(nullptr, std::memory_order_relaxed);
}

InstrumentState::InstrumentState(InstrumentConfig config, std::uint64_t start_time_ns)
    : config_(std::move(config)), start_time_ns_(start_time_ns), id_(next_instrument_id()) {
  if (!is_observable()) {
    tables_.push_back(std::make_unique<Table>(16));
    table_.store(tables_.back().get(), std::memory_order_release);
    std::vector<StoredAttr> overflow_attrs(1);
    overflow_attrs[0].key = "otel_metric_overflow";
    overflow_attrs[0].type = AttrValue::Type::kBool;
    overflow_attrs[0].i = 1;
    overflow_ = make_series(std::move(overflow_attrs), 0);
  }
}

InstrumentState::~InstrumentState() = default;

bool InstrumentState::is_observable() const noexcept {
  return config_.kind == InstrumentKind::kObservableCounter ||
         config_.kind == InstrumentKind::kObservableUpDownCounter ||
         config_.kind == InstrumentKind::kObservableGauge;
}

std::unique_ptr<Series> InstrumentState::make_series(std::vector<StoredAttr> attrs,
                                                     std::uint64_t hash) const {
  auto s = std::make_unique<Series>();
  s->hash = hash;
  s->attrs = std::move(attrs);
  const Clock* exemplar_clock = config_.exemplars ? config_.clock : nullptr;
  if (config_.kind == InstrumentKind::kHistogram && config_.exponential) {
    s->histogram =
        std::make_unique<HistogramCell>(std::make_unique<ExponentialCell>(*config_.exponential),
                                        exemplar_clock, config_.exemplar_every_measurement);
  } else if (config_.kind == InstrumentKind::kHistogram) {
    s->histogram = std::make_unique<HistogramCell>(config_.bounds, exemplar_clock,
                                                   config_.exemplar_every_measurement);
  } else {
    s->sum = std::make_unique<SumCell>(exemplar_clock, config_.exemplar_every_measurement);
  }
  return s;
}

Series* InstrumentState::find_or_create(const KeyValue* attrs, std::size_t n) noexcept {
  SeriesCacheEntry& cache_entry = series_cache_entry(id_, attrs, n);
  if (Series* cached = series_cache_hit(cache_entry, id_, attrs, n)) return cached;
  const CanonicalAttrs canon(config_, attrs, n);
  const Table* t = table_.load(std::memory_order_acquire);
  for (std::size_t i = canon.hash() & t->mask;; i = (i + 1) & t->mask) {
    Series* s = t->slots[i].load(std::memory_order_acquire);
    if (s == nullptr) break;
    if (s->hash == canon.hash() && canon.matches(s->attrs)) {
      series_cache_remember(cache_entry, id_, attrs, n, canon, s);
      return s;
    }
  }
  if (full_.load(std::memory_order_relaxed)) {
    overflowed_.fetch_add(1, std::memory_order_relaxed);
    return overflow_.get();
  }
  try {
    Series* s = insert_slow(canon);
    if (s != overflow_.get()) series_cache_remember(cache_entry, id_, attrs, n, canon, s);
    return s;
  } catch (...) {
    // Out of memory: never throw into the application; account the point as overflow.
    overflow_used_.store(true, std::memory_order_relaxed);
    overflowed_.fetch_add(1, std::memory_order_relaxed);
    return overflow_.get();
  }
}

void InstrumentState::insert_into(Table& table, Series* series) noexcept {
  std::size_t i = series->hash & table.mask;
  while (table.slots[i].load(std::memory_order_relaxed) != nullptr) i = (i + 1) & table.mask;
  table.slots[i].store(series, std::memory_order_release);
}

Series* InstrumentState::insert_slow(const CanonicalAttrs& canon) {
  lumen::internal::MutexLock lock(mu_);
  Table* t = table_.load(std::memory_order_relaxed);
  for (std::size_t i = canon.hash() & t->mask;; i = (i + 1) & t->mask) {
    Series* s = t->slots[i].load(std::memory_order_relaxed);
    if (s == nullptr) break;
    if (s->hash == canon.hash() && canon.matches(s->attrs)) return s;
  }
  if (series_.size() >= config_.cardinality_limit) {
    overflow_used_.store(true, std::memory_order_relaxed);
    full_.store(true, std::memory_order_relaxed);
    overflowed_.fetch_add(1, std::memory_order_relaxed);
    return overflow_.get();
  }
  series_.push_back(make_series(canon.store(), canon.hash()));
  Series* created = series_.back().get();
  // Keep the load factor at or under one half so that probes stay short.
  if (series_.size() * 2 > t->mask + 1) {
    auto bigger = std::make_unique<Table>((t->mask + 1) * 2);
    for (const auto& s : series_) insert_into(*bigger, s.get());
    tables_.push_back(std::move(bigger));
    table_.store(tables_.back().get(), std::memory_order_release);
  } else {
    insert_into(*t, created);
  }
  return created;
}

Attributes InstrumentState::to_attributes(const std::vector<StoredAttr>& attrs) {
  Attributes out;
  out.reserve(attrs.size());
  for (const StoredAttr& a : attrs) {
    switch (a.type) {
      case AttrValue::Type::kString:
        out.append_unchecked(a.key, a.str);
        break;
      case AttrValue::Type::kBool:
        out.append_unchecked(a.key, a.i != 0);
        break;
      case AttrValue::Type::kInt:
        out.append_unchecked(a.key, a.i);
        break;
      case AttrValue::Type::kDouble:
        out.append_unchecked(a.key, a.d);
        break;
    }
  }
  return out;
}

std::uint64_t InstrumentState::add_callback(ObservableCallback callback) {
  lumen::internal::MutexLock lock(callbacks_mu_);
  const std::uint64_t id = next_callback_id_++;
  callbacks_.emplace(id, std::move(callback));
  return id;
}

void InstrumentState::remove_callback(std::uint64_t id) noexcept {
  lumen::internal::MutexLock lock(callbacks_mu_);
  callbacks_.erase(id);
}

void InstrumentState::observe(double value, std::int64_t int_value, bool is_int,
                              const KeyValue* attrs, std::size_t n) {
  if (observations_ == nullptr) return;  // observe() outside a callback
  const CanonicalAttrs canon(config_, attrs, n);
  for (Observation& o : *observations_) {
    if (o.hash == canon.hash() && canon.matches(o.attrs)) {
      o.point.value = value;
      o.point.int_value = int_value;
      o.is_int = is_int;
      return;
    }
  }
  Observation o;
  if (observations_->size() >= config_.cardinality_limit) {
    overflowed_.fetch_add(1, std::memory_order_relaxed);
    // Past the limit every new set lands in the one overflow point (hash 0 marks it).
    for (Observation& existing : *observations_) {
      if (existing.hash == 0 && existing.attrs.size() == 1 &&
          existing.attrs[0].key == "otel_metric_overflow") {
        existing.point.value = value;
        existing.point.int_value = int_value;
        existing.is_int = is_int;
        return;
      }
    }
    o.attrs = overflow_attrs_for_observations();
    o.hash = 0;
    o.point.value = value;
    o.point.int_value = int_value;
    o.is_int = is_int;
    observations_->push_back(std::move(o));
    return;
  } else {
    o.attrs = canon.store();
  }
  o.hash = canon.hash();
  o.point.value = value;
  o.point.int_value = int_value;
  o.is_int = is_int;
  observations_->push_back(std::move(o));
}

bool InstrumentState::collect(MetricData& out, std::uint64_t now_ns) {
  out.name = config_.name;
  out.description = config_.description;
  out.unit = config_.unit;
  out.scope = config_.scope;
  out.kind = config_.kind;
  out.is_integer = config_.is_integer;
  out.start_time_unix_nano = start_time_ns_;
  out.time_unix_nano = now_ns;
  switch (config_.kind) {
    case InstrumentKind::kCounter:
    case InstrumentKind::kObservableCounter:
      out.type = MetricType::kMonotonicSum;
      break;
    case InstrumentKind::kUpDownCounter:
    case InstrumentKind::kObservableUpDownCounter:
      out.type = MetricType::kSum;
      break;
    case InstrumentKind::kObservableGauge:
      out.type = MetricType::kGauge;
      break;
    case InstrumentKind::kHistogram:
      if (config_.exponential) {
        out.type = MetricType::kExponentialHistogram;
      } else {
        out.type = MetricType::kHistogram;
        out.bounds = config_.bounds;
      }
      break;
  }

  if (is_observable()) {
    std::vector<Observation> observations;
    {
      lumen::internal::MutexLock lock(callbacks_mu_);
      observations_ = &observations;
      ObserverResult result(this);
      for (auto& [id, callback] : callbacks_) {
        try {
          callback(result);
        } catch (...) {
          // A failing callback loses its observations for this collection, nothing more.
        }
      }
      observations_ = nullptr;
    }
    bool all_int = true;
    for (Observation& o : observations) {
      all_int = all_int && o.is_int;
      o.point.attributes = to_attributes(o.attrs);
      out.number_points.push_back(std::move(o.point));
    }
    out.is_integer = all_int;
    out.overflowed_measurements = overflowed_.load(std::memory_order_relaxed);
    return !out.number_points.empty();
  }

  std::vector<Series*> series;
  {
    lumen::internal::MutexLock lock(mu_);
    series.reserve(series_.size() + 1);
    for (const auto& s : series_) series.push_back(s.get());
  }
  if (overflow_used_.load(std::memory_order_relaxed)) series.push_back(overflow_.get());
  out.overflowed_measurements = overflowed_.load(std::memory_order_relaxed);

  for (const Series* s : series) {
    if (s->histogram && s->histogram->is_exponential()) {
      ExponentialHistogramPoint p;
      p.attributes = to_attributes(s->attrs);
      s->histogram->collect(p);
      out.exponential_points.push_back(std::move(p));
    } else if (s->histogram) {
      HistogramPoint p;
      p.attributes = to_attributes(s->attrs);
      s->histogram->collect(p);
      out.histogram_points.push_back(std::move(p));
    } else {
      NumberPoint p;
      p.attributes = to_attributes(s->attrs);
      if (config_.is_integer) {
        p.int_value = s->sum->load_int();
        p.value = static_cast<double>(p.int_value);
      } else {
        p.value = s->sum->load_double();
      }
      if (const ExemplarSlots* ex = s->sum->exemplars()) {
        auto slots = ex->snapshot();
        if (!slots.empty()) p.exemplar = slots[0];
      }
      out.number_points.push_back(std::move(p));
    }
  }
  return !series.empty();
}

std::vector<StoredAttr> InstrumentState::overflow_attrs_for_observations() {
  std::vector<StoredAttr> attrs(1);
  attrs[0].key = "otel_metric_overflow";
  attrs[0].type = AttrValue::Type::kBool;
  attrs[0].i = 1;
  return attrs;
}

// A no-op meter's instruments have no state. Their measurements go to these cells, which no
// collection reads: the branch stays out of the inline recording paths (a bound handle is a bare
// cell pointer), and the cells are striped like any other, so that threads do not contend.
SumCell* discard_sum_cell() noexcept {
  static SumCell cell;
  return &cell;
}

HistogramCell* discard_histogram_cell() noexcept {
  static const std::vector<double> kNoBounds;
  static HistogramCell cell(kNoBounds, nullptr);
  return &cell;
}

SumCell* sum_cell(InstrumentState* state, const KeyValue* attrs, std::size_t n) noexcept {
  if (state == nullptr) return discard_sum_cell();
  return state->find_or_create(attrs, n)->sum.get();
}

HistogramCell* histogram_cell(InstrumentState* state, const KeyValue* attrs,
                              std::size_t n) noexcept {
  if (state == nullptr) return discard_histogram_cell();
  return state->find_or_create(attrs, n)->histogram.get();
}

}  // namespace lumen::metrics::detail

namespace lumen::metrics {

void ObserverResult::observe_int(std::int64_t value, const KeyValue* attrs, std::size_t n) {
  state_->observe(static_cast<double>(value), value, true, attrs, n);
}

void ObserverResult::observe_double(double value, const KeyValue* attrs, std::size_t n) {
  state_->observe(value, 0, false, attrs, n);
}

}  // namespace lumen::metrics
