// Internal: each thread's memory of the attribute sets it recorded recently, so that a call site
// that records the same attributes again skips their canonical form (sort, deduplication, hash)
// and the table probe.
//
// An entry remembers, for one instrument, which series a list of call-site attributes resolved to
// and where each of them sits in that series' sorted attributes. A hit compares every call-site
// key and value, byte for byte, with the series' stored one: the answer is the series the full
// lookup would return, whatever the strings' addresses. Entries only ever name series that were
// found in or inserted into the table, never the overflow series, so every measurement past the
// cardinality limit still goes through the full lookup and is counted.
//
// Thread safety: the entries are the calling thread's own. An entry names its instrument by a
// process-unique id, never reused, and is only followed when that id matches the instrument being
// recorded into, which is then alive, as are all its series (never removed).
//
//   SeriesCacheEntry& entry = series_cache_entry(id, attrs, n);
//   if (Series* s = series_cache_hit(entry, id, attrs, n)) return s;
//   ... full lookup ...
//   series_cache_remember(entry, id, attrs, n, canon, found);
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

#include "metrics/instrument_state.hpp"

namespace lumen::metrics::detail {

// Call sites with more attributes than this take the full lookup every time.
inline constexpr std::size_t kCachedAttrsMax = 8;

struct SeriesCacheEntry {
  std::uint64_t instrument_id;  // 0: empty
  Series* series;
  std::uint8_t n;
  // position[k]: where the k-th call-site attribute sits in series->attrs.
  std::uint8_t position[kCachedAttrsMax];
};

// Several entries (512 bytes a thread), so that a thread that alternates between a few instruments
// and attribute sets does not evict its own entries at every measurement. Trivial, so the
// thread_local needs no guard.
inline constexpr std::size_t kSeriesCacheEntries = 16;
struct SeriesCache {
  SeriesCacheEntry entries[kSeriesCacheEntries];
};
inline thread_local SeriesCache t_series_cache{};

// The raw words of the call-site values (a string's address and length) pick an entry: cheap, and
// usually different for two attribute sets of one call site. Only the entry choice depends on
// addresses; a hit is decided by content.
inline SeriesCacheEntry& series_cache_entry(std::uint64_t instrument_id, const KeyValue* attrs,
                                            std::size_t n) noexcept {
  std::uint64_t h = instrument_id + n;
  for (std::size_t k = 0; k < n; ++k) {
    const AttrValue& v = attrs[k].value;
    switch (v.type()) {
      case AttrValue::Type::kString:
        h += reinterpret_cast<std::uintptr_t>(v.as_string().data()) + v.as_string().size();
        break;
      case AttrValue::Type::kBool:
      case AttrValue::Type::kInt:
        h += static_cast<std::uint64_t>(v.as_int());
        break;
      case AttrValue::Type::kDouble:
        h += std::bit_cast<std::uint64_t>(v.as_double());
        break;
    }
    h = std::rotl(h, 17);
  }
  h *= 0x9E3779B97F4A7C15ULL;
  return t_series_cache.entries[h >> (64 - std::countr_zero(kSeriesCacheEntries))];
}

// The series `e` remembers for these call-site attributes, or null.
inline Series* series_cache_hit(const SeriesCacheEntry& e, std::uint64_t instrument_id,
                                const KeyValue* attrs, std::size_t n) noexcept {
  if (e.instrument_id != instrument_id || e.n != n) return nullptr;
  const StoredAttr* stored = e.series->attrs.data();
  for (std::size_t k = 0; k < n; ++k) {
    const StoredAttr& s = stored[e.position[k]];
    if (!lumen::detail::same_bytes(s.key, attrs[k].key) || !same_value(s, attrs[k].value)) {
      return nullptr;
    }
  }
  return e.series;
}

// `e` is the entry series_cache_entry picked for these attributes, `canon` their canonical form,
// and `series` the table's series for it.
inline void series_cache_remember(SeriesCacheEntry& e, std::uint64_t instrument_id,
                                  const KeyValue* attrs, std::size_t n, const CanonicalAttrs& canon,
                                  Series* series) noexcept {
  // A filtered or repeated key makes the canonical set smaller than the call site's list; such
  // lists are not remembered, so that in an entry every call-site attribute has its own position.
  if (n > kCachedAttrsMax || canon.size() != n) return;
  for (std::size_t j = 0; j < n; ++j) {
    e.position[&canon[j] - attrs] = static_cast<std::uint8_t>(j);
  }
  e.instrument_id = instrument_id;
  e.series = series;
  e.n = static_cast<std::uint8_t>(n);
}

}  // namespace lumen::metrics::detail
