#include "lumen/core/ids.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <set>
#include <thread>
#include <vector>

#include "core/id_generator.hpp"

namespace lumen {
namespace {

TEST(Ids, HeaderExampleParsesAndPrints) {
  std::optional<TraceId> id = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->to_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_TRUE(id->is_valid());
}

TEST(Ids, HexRoundTripsLowerCase) {
  std::array<std::uint8_t, 16> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i * 17 + 1);
  const TraceId id(bytes);
  const std::string hex = id.to_hex();
  EXPECT_EQ(hex, "0112233445566778899aabbccddeef00");  // 15 * 17 + 1 wraps to 0
  EXPECT_EQ(TraceId::from_hex(hex), id);

  const SpanId span(std::array<std::uint8_t, 8>{0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02, 0xff});
  EXPECT_EQ(span.to_hex(), "deadbeef000102ff");
  EXPECT_EQ(SpanId::from_hex("deadbeef000102ff"), span);
}

TEST(Ids, HighAndLowHalvesAreBigEndian) {
  const auto id = *TraceId::from_hex("0000000000000001ff00000000000002");
  EXPECT_EQ(id.high64(), 1u);
  EXPECT_EQ(id.low64(), 0xff00000000000002u);
  EXPECT_EQ(SpanId::from_hex("0102030405060708")->low64(), 0x0102030405060708u);
}

TEST(Ids, FromHexRejectsUpperCaseWrongLengthAndNonHex) {
  EXPECT_FALSE(TraceId::from_hex("0112233445566778899AABBCCDDEEFF0"));
  EXPECT_FALSE(TraceId::from_hex("0112233445566778899aabbccddeefF0"));
  EXPECT_FALSE(SpanId::from_hex("DEADBEEF000102FF"));
  EXPECT_FALSE(TraceId::from_hex("0112233445566778899aabbccddeeff"));    // 31
  EXPECT_FALSE(TraceId::from_hex("0112233445566778899aabbccddeeff00"));  // 33
  EXPECT_FALSE(SpanId::from_hex(""));
  EXPECT_FALSE(SpanId::from_hex("deadbeef000102f"));
  EXPECT_FALSE(SpanId::from_hex("deadbeefg00102ff"));
  EXPECT_FALSE(SpanId::from_hex("deadbeef 00102ff"));
  EXPECT_FALSE(SpanId::from_hex("-eadbeef000102ff"));
}

TEST(Ids, AllZeroParsesButIsInvalid) {
  const auto zero = TraceId::from_hex(std::string(32, '0'));
  ASSERT_TRUE(zero.has_value());
  EXPECT_FALSE(zero->is_valid());
  EXPECT_FALSE(TraceId().is_valid());
  EXPECT_FALSE(SpanId().is_valid());
  EXPECT_TRUE(SpanId::from_hex("0000000000000001")->is_valid());
}

TEST(IdGenerator, NeverYieldsInvalidIds) {
  for (int i = 0; i < 100'000; ++i) {
    ASSERT_TRUE(IdGenerator::trace_id().is_valid());
    ASSERT_TRUE(IdGenerator::span_id().is_valid());
  }
}

// A root span's two ids come from one draw of three words (IdGenerator::root_ids): each id is
// valid, no word serves twice, and no id repeats.
TEST(IdGenerator, RootIdsAreValidDistinctAndShareNoWord) {
  constexpr int kDraws = 100'000;
  std::set<std::array<std::uint8_t, 16>> traces;
  std::set<std::array<std::uint8_t, 8>> spans;
  for (int i = 0; i < kDraws; ++i) {
    const IdGenerator::SpanIds ids = IdGenerator::root_ids();
    ASSERT_TRUE(ids.trace_id.is_valid());
    ASSERT_TRUE(ids.span_id.is_valid());
    const auto& t = ids.trace_id.bytes();
    const auto& s = ids.span_id.bytes();
    ASSERT_FALSE(std::equal(s.begin(), s.end(), t.begin()));
    ASSERT_FALSE(std::equal(s.begin(), s.end(), t.begin() + 8));
    traces.insert(t);
    spans.insert(s);
  }
  EXPECT_EQ(traces.size(), static_cast<std::size_t>(kDraws));
  EXPECT_EQ(spans.size(), static_cast<std::size_t>(kDraws));
}

// Each bit of a root's ids, over 2^16 roots, is set half the time, and equal to the same bit of the
// root before half the time; a root's high and low words agree on half their bits. Each count is
// within six standard deviations (n = 65,536: 768), so that a run fails by chance once in a
// million. The lanes' counters without the mixer fail (their lowest bit alternates), and so would
// two halves drawn from one counter value.
TEST(IdGenerator, EveryBitOfARootsIdsLooksLikeACoinToss) {
  constexpr int kDraws = 1 << 16;
  constexpr int kTolerance = 768;
  std::array<int, 192> set{};
  std::array<int, 192> same_as_before{};
  std::array<int, 64> halves_agree{};
  std::array<std::uint8_t, 24> before{};
  for (int i = 0; i < kDraws; ++i) {
    const IdGenerator::SpanIds ids = IdGenerator::root_ids();
    std::array<std::uint8_t, 24> bytes{};
    std::copy(ids.trace_id.bytes().begin(), ids.trace_id.bytes().end(), bytes.begin());
    std::copy(ids.span_id.bytes().begin(), ids.span_id.bytes().end(), bytes.begin() + 16);
    for (std::size_t bit = 0; bit < 192; ++bit) {
      const int value = (bytes[bit / 8] >> (bit % 8)) & 1;
      set[bit] += value;
      if (i > 0) same_as_before[bit] += value == ((before[bit / 8] >> (bit % 8)) & 1);
      if (bit < 64) halves_agree[bit] += value == ((bytes[8 + bit / 8] >> (bit % 8)) & 1);
    }
    before = bytes;
  }
  for (std::size_t bit = 0; bit < 192; ++bit) {
    EXPECT_NEAR(set[bit], kDraws / 2, kTolerance) << "bit " << bit;
    EXPECT_NEAR(same_as_before[bit], kDraws / 2, kTolerance) << "bit " << bit;
    if (bit < 64) {
      EXPECT_NEAR(halves_agree[bit], kDraws / 2, kTolerance) << "bit " << bit;
    }
  }
}

TEST(IdGenerator, ThreadsYieldDistinctIds) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20'000;
  std::vector<std::vector<std::array<std::uint8_t, 16>>> traces(kThreads);
  std::vector<std::vector<std::array<std::uint8_t, 8>>> spans(kThreads);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&trace_out = traces[t], &span_out = spans[t]] {
      trace_out.reserve(kPerThread);
      span_out.reserve(kPerThread);
      for (int i = 0; i < kPerThread; ++i) {
        trace_out.push_back(IdGenerator::trace_id().bytes());
        span_out.push_back(IdGenerator::span_id().bytes());
      }
    });
  }
  for (auto& t : threads) t.join();
  const auto count_distinct = [](const auto& per_thread) {
    std::vector<typename std::decay_t<decltype(per_thread)>::value_type::value_type> all;
    for (const auto& ids : per_thread) all.insert(all.end(), ids.begin(), ids.end());
    std::sort(all.begin(), all.end());
    return static_cast<std::size_t>(std::unique(all.begin(), all.end()) - all.begin());
  };
  EXPECT_EQ(count_distinct(traces), static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_EQ(count_distinct(spans), static_cast<std::size_t>(kThreads * kPerThread));
}

bool write_all(int fd, const void* data, std::size_t size) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = write(fd, p, size);
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

TEST(IdGenerator, ChildProcessGeneratesDifferentIdsFromTheParentAfterFork) {
  constexpr std::size_t kCount = 64;
  (void)IdGenerator::span_id();  // this thread's generator is seeded before the fork

  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    std::array<std::uint8_t, kCount * 8> ids{};
    for (std::size_t i = 0; i < kCount; ++i) {
      const SpanId id = IdGenerator::span_id();
      std::copy(id.bytes().begin(), id.bytes().end(),
                ids.begin() + static_cast<std::ptrdiff_t>(i * 8));
    }
    _exit(write_all(fds[1], ids.data(), ids.size()) ? 0 : 1);
  }
  close(fds[1]);
  std::set<std::array<std::uint8_t, 8>> parent_ids;
  for (std::size_t i = 0; i < kCount; ++i) parent_ids.insert(IdGenerator::span_id().bytes());

  std::array<std::uint8_t, kCount * 8> child{};
  std::size_t got = 0;
  while (got < child.size()) {
    const ssize_t n = read(fds[0], child.data() + got, child.size() - got);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  ASSERT_EQ(got, child.size());

  std::size_t shared = 0;
  for (std::size_t i = 0; i < kCount; ++i) {
    std::array<std::uint8_t, 8> id{};
    std::copy_n(child.begin() + static_cast<std::ptrdiff_t>(i * 8), 8, id.begin());
    EXPECT_TRUE(SpanId(id).is_valid());
    shared += parent_ids.count(id);
  }
  EXPECT_EQ(shared, 0u) << "the child repeated the parent's ids: its generator was not reseeded";
}

}  // namespace
}  // namespace lumen
