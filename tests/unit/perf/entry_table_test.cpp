// The coalescer's internal open-addressing table, checked against std::unordered_map under random
// churn (backward-shift deletion is where such tables go wrong), and its insertion order.
#include "perf/entry_table.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace lumen::perf::detail {
namespace {

std::shared_ptr<const void> boxed(int v) {
  return std::make_shared<const int>(v);
}
int unboxed(const CacheEntry& e) {
  return ValueStorage<int>::get(e.value_slot());
}
const ValueOps* const kIntOps = &ValueStorage<int>::kOps;

TEST(EntryTable, MatchesAReferenceMapUnderRandomInsertsAndErases) {
  EntryTable table(kIntOps);
  std::unordered_map<std::string, int> reference;
  std::mt19937 rng(7);
  for (int step = 0; step < 20'000; ++step) {
    const std::string key = "k" + std::to_string(rng() % 300);
    const std::size_t hash = hash_key(key);
    const std::uint32_t found = table.find(key, hash);
    auto ref = reference.find(key);
    ASSERT_EQ(found != EntryTable::kNone, ref != reference.end()) << key << " at step " << step;
    if (found != EntryTable::kNone) {
      ASSERT_EQ(unboxed(table.at(found)), ref->second);
      if (rng() % 2 == 0) {
        table.erase(found);
        reference.erase(ref);
      }
    } else {
      table.insert(key, hash, boxed(step), 0);
      reference.emplace(key, step);
    }
    ASSERT_EQ(table.size(), reference.size());
  }
}

TEST(EntryTable, KeysSharingAHomeSlotSurviveTheErasureOfTheirNeighbours) {
  // Find keys whose hashes share their low 4 bits: they probe the same run in a 16-slot table.
  std::vector<std::string> same_home;
  for (int i = 0; same_home.size() < 6; ++i) {
    const std::string k = "c" + std::to_string(i);
    if ((hash_key(k) & 15) == 3) same_home.push_back(k);
  }
  EntryTable table(kIntOps);
  for (std::size_t i = 0; i < same_home.size(); ++i) {
    table.insert(same_home[i], hash_key(same_home[i]), boxed(static_cast<int>(i)), 0);
  }
  table.erase(table.find(same_home[1], hash_key(same_home[1])));
  table.erase(table.find(same_home[3], hash_key(same_home[3])));
  for (std::size_t i = 0; i < same_home.size(); ++i) {
    const std::uint32_t f = table.find(same_home[i], hash_key(same_home[i]));
    if (i == 1 || i == 3) {
      EXPECT_EQ(f, EntryTable::kNone);
    } else {
      ASSERT_NE(f, EntryTable::kNone) << same_home[i];
      EXPECT_EQ(unboxed(table.at(f)), static_cast<int>(i));
    }
  }
}

TEST(EntryTable, OldestFollowsInsertionOrderAndMoveToNewest) {
  EntryTable table(kIntOps);
  for (const char* k : {"a", "b", "c"}) table.insert(k, hash_key(k), boxed(0), 0);
  EXPECT_EQ(table.at(table.oldest()).key(), "a");
  table.move_to_newest(table.oldest());
  EXPECT_EQ(table.at(table.oldest()).key(), "b");
  table.erase(table.oldest());
  std::vector<std::string> order;
  for (std::uint32_t i = table.oldest(); i != EntryTable::kNone; i = table.next_of(i)) {
    order.push_back(std::string(table.at(i).key()));
  }
  EXPECT_EQ(order, (std::vector<std::string>{"c", "a"}));
}

TEST(EntryTable, StringValuesAndLongKeysSurviveTheEntryArrayGrowingUnderChurn) {
  // std::string values sit inline and point into themselves (short strings): growing the entry
  // array must move them, not copy their bytes. Keys longer than the inline bytes live on the heap.
  using Storage = ValueStorage<std::string>;
  static_assert(Storage::kInline, "a std::string value is stored inside its entry");
  EntryTable table(&Storage::kOps);
  std::unordered_map<std::string, std::string> reference;
  std::mt19937 rng(11);
  for (int step = 0; step < 5'000; ++step) {
    const std::size_t id = rng() % 400;
    // Short and long keys, short (inline characters) and long (heap characters) values.
    const std::string key = id % 2 == 0 ? "k" + std::to_string(id)
                                        : "a-key-longer-than-sixteen-bytes:" + std::to_string(id);
    const std::string value =
        id % 3 == 0 ? "v" + std::to_string(step) : std::string(40, 'x') + std::to_string(step);
    const std::size_t hash = hash_key(key);
    const std::uint32_t found = table.find(key, hash);
    ASSERT_EQ(found != EntryTable::kNone, reference.count(key) == 1) << key << " at step " << step;
    if (found != EntryTable::kNone) {
      ASSERT_EQ(table.at(found).key(), key);
      ASSERT_EQ(Storage::get(table.at(found).value_slot()), reference[key]);
      if (rng() % 3 == 0) {
        table.erase(found);
        reference.erase(key);
      }
    } else {
      table.insert(key, hash, std::make_shared<const std::string>(value), 0);
      reference.emplace(key, value);
    }
  }
  for (const auto& [key, value] : reference) {
    const std::uint32_t found = table.find(key, hash_key(key));
    ASSERT_NE(found, EntryTable::kNone) << key;
    EXPECT_EQ(Storage::get(table.at(found).value_slot()), value);
  }
}

TEST(EntryTable, AValueWhoseCopyThrowsLeavesTheTableUnchanged) {
  struct Throws {
    Throws() = default;
    Throws(const Throws&) { throw std::runtime_error("copy failed"); }
    Throws(Throws&&) noexcept = default;
  };
  EntryTable table(&ValueStorage<Throws>::kOps);
  const std::string key = "a-key-longer-than-sixteen-bytes";  // its heap copy must be freed too
  EXPECT_THROW(table.insert(key, hash_key(key), std::make_shared<const Throws>(), 0),
               std::runtime_error);
  EXPECT_EQ(table.size(), 0U);
  EXPECT_EQ(table.find(key, hash_key(key)), EntryTable::kNone);
  EXPECT_EQ(table.oldest(), EntryTable::kNone);
}

TEST(EntryTable, KeyEqualityAndHashCoverEveryLengthClass) {
  for (std::size_t n = 0; n < 40; ++n) {
    std::string a(n, 'x');
    std::string b = a;
    EXPECT_TRUE(same_key(a, b));
    EXPECT_EQ(hash_key(a), hash_key(b));
    if (n > 0) {
      b[n / 2] = 'y';  // a difference in the middle, where overlapping loads must still see it
      EXPECT_FALSE(same_key(a, b)) << n;
      EXPECT_NE(hash_key(a), hash_key(b)) << n;
      b = a;
      b[n - 1] = 'y';
      EXPECT_FALSE(same_key(a, b)) << n;
    }
    EXPECT_FALSE(same_key(a, a + "x"));
  }
}

}  // namespace
}  // namespace lumen::perf::detail
