#include "perf/entry_table.hpp"

#include <algorithm>
#include <utility>

namespace lumen::perf::detail {

EntryTable::~EntryTable() {
  for (std::uint32_t i = 0; i < entries_used_; ++i) {
    if (entries_[i].live) release(entries_[i]);
  }
}

std::uint32_t EntryTable::insert(std::string_view key, std::size_t hash,
                                 const std::shared_ptr<const void>& value,
                                 std::uint64_t expires_ns) {
  // At most half full: linear probes stay short.
  if ((size_ + 1) * 2 > slot_count()) grow_slots();
  if (free_.empty() && entries_used_ == entry_capacity_) grow_entries();
  free_.reserve(entry_capacity_);  // so that erase() never allocates
  const std::uint32_t i = free_.empty() ? entries_used_ : free_.back();
  CacheEntry& e = entries_[i];
  char* heap_key = nullptr;
  if (key.size() > CacheEntry::kInlineKeyBytes) {
    heap_key = new char[key.size()];
    std::memcpy(heap_key, key.data(), key.size());
    std::memcpy(e.key_bytes, &heap_key, sizeof heap_key);
  } else if (!key.empty()) {
    std::memcpy(e.key_bytes, key.data(), key.size());
  }
  try {
    ops_->store(e.value, value);
  } catch (...) {
    delete[] heap_key;
    throw;
  }
  // Nothing below throws.
  if (free_.empty()) {
    ++entries_used_;
  } else {
    free_.pop_back();
  }
  e.key_size = static_cast<std::uint32_t>(key.size());
  e.expires_ns = expires_ns;
  e.referenced = false;
  e.live = true;
  place(static_cast<std::uint32_t>(hash), i);
  link_newest(i);
  ++size_;
  return i;
}

void EntryTable::erase(std::uint32_t node) noexcept {
  std::size_t i = hash_key(entries_[node].key()) & mask_;
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
  release(entries_[node]);
  free_.push_back(node);  // capacity reserved by insert()
  --size_;
}

void EntryTable::release(CacheEntry& e) noexcept {
  if (e.key_size > CacheEntry::kInlineKeyBytes) delete[] e.key().data();
  ops_->destroy(e.value);
  e.key_size = 0;
  e.live = false;
}

void EntryTable::grow_slots() {
  const std::size_t old_n = slot_count();
  const std::size_t n = old_n == 0 ? 16 : old_n * 2;
  std::unique_ptr<Slot[]> old = std::move(slots_);
  slots_ = std::make_unique<Slot[]>(n);
  mask_ = n - 1;
  for (std::size_t i = 0; i < old_n; ++i) {
    if (old[i].node != kNone) place(old[i].tag, old[i].node);
  }
}

void EntryTable::grow_entries() {
  const std::uint32_t n = entry_capacity_ == 0 ? 16 : entry_capacity_ * 2;
  auto grown = std::make_unique<CacheEntry[]>(n);
  links_.resize(n);
  // Values may point into themselves (a std::string's short buffer): moved, never copied bytewise.
  for (std::uint32_t i = 0; i < entries_used_; ++i) {
    CacheEntry& from = entries_[i];
    if (!from.live) continue;
    CacheEntry& to = grown[i];
    to.expires_ns = from.expires_ns;
    to.key_size = from.key_size;
    to.referenced = from.referenced;
    to.live = true;
    std::memcpy(to.key_bytes, from.key_bytes, sizeof to.key_bytes);  // inline bytes or the pointer
    ops_->relocate(to.value, from.value);
    from.live = false;
  }
  entries_ = std::move(grown);
  entry_capacity_ = n;
}

void EntryTable::place(std::uint32_t tag, std::uint32_t node) noexcept {
  std::size_t i = tag & mask_;
  while (slots_[i].node != kNone) i = (i + 1) & mask_;
  slots_[i] = Slot{tag, node};
}

void EntryTable::unlink(std::uint32_t i) noexcept {
  Links& l = links_[i];
  if (l.prev != kNone)
    links_[l.prev].next = l.next;
  else
    head_ = l.next;
  if (l.next != kNone)
    links_[l.next].prev = l.prev;
  else
    tail_ = l.prev;
}

void EntryTable::link_newest(std::uint32_t i) noexcept {
  Links& l = links_[i];
  l.prev = tail_;
  l.next = kNone;
  if (tail_ != kNone)
    links_[tail_].next = i;
  else
    head_ = i;
  tail_ = i;
}

}  // namespace lumen::perf::detail
