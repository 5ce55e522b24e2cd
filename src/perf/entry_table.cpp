#include "perf/entry_table.hpp"

#include <utility>

namespace lumen::perf::detail {

std::uint32_t EntryTable::insert(std::string_view key, std::size_t hash,
                                 std::shared_ptr<const void> value, std::uint64_t expires_ns) {
  // At most half full: linear probes stay short.
  if ((size_ + 1) * 2 > slots_.size()) grow();
  std::uint32_t i;
  if (!free_.empty()) {
    i = free_.back();
    free_.pop_back();
  } else {
    i = static_cast<std::uint32_t>(entries_.size());
    entries_.emplace_back();
    links_.emplace_back();
  }
  CacheEntry& e = entries_[i];
  e.key.assign(key);
  e.value = std::move(value);
  e.expires_ns = expires_ns;
  e.referenced = false;
  place(static_cast<std::uint32_t>(hash), i);
  link_newest(i);
  ++size_;
  return i;
}

void EntryTable::erase(std::uint32_t node) noexcept {
  std::size_t i = hash_key(entries_[node].key) & mask_;
  while (slots_[i].node != node) i = (i + 1) & mask_;
  // Backward-shift deletion: pull later slots of the same probe run into the hole, unless their
  // home slot lies cyclically in (hole, j], where moving them would put them before their home.
  for (std::size_t j = (i + 1) & mask_; slots_[j].node != kNone; j = (j + 1) & mask_) {
    const std::size_t home = slots_[j].tag & mask_;
    const bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
    if (stays) continue;
    slots_[i] = slots_[j];
    i = j;
  }
  slots_[i] = Slot{};
  unlink(node);
  CacheEntry& e = entries_[node];
  e.value.reset();
  free_.push_back(node);
  --size_;
}

void EntryTable::grow() {
  const std::size_t n = slots_.empty() ? 16 : slots_.size() * 2;
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(n, Slot{});
  mask_ = n - 1;
  for (const Slot& s : old) {
    if (s.node != kNone) place(s.tag, s.node);
  }
}

void EntryTable::place(std::uint32_t tag, std::uint32_t node) noexcept {
  std::size_t i = tag & mask_;
  while (slots_[i].node != kNone) i = (i + 1) & mask_;
  slots_[i] = Slot{tag, node};
}

void EntryTable::unlink(std::uint32_t i) noexcept {
  Links& l = links_[i];
  if (l.prev != kNone) links_[l.prev].next = l.next; else head_ = l.next;
  if (l.next != kNone) links_[l.next].prev = l.prev; else tail_ = l.prev;
}

void EntryTable::link_newest(std::uint32_t i) noexcept {
  Links& l = links_[i];
  l.prev = tail_;
  l.next = kNone;
  if (tail_ != kNone) links_[tail_].next = i; else head_ = i;
  tail_ = i;
}

}  // namespace lumen::perf::detail
