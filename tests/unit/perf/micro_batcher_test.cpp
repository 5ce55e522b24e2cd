#include "lumen/perf/micro_batcher.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "lumen/core/clock.hpp"

namespace lumen::perf {
namespace {

using namespace std::chrono_literals;

struct Recorder {
  std::mutex mu;
  std::vector<std::size_t> sizes;
  std::vector<int> operator()(std::vector<int>& requests) {
    {
      std::lock_guard lock(mu);
      sizes.push_back(requests.size());
    }
    std::vector<int> out;
    for (int r : requests) out.push_back(r * 10);
    return out;
  }
};

TEST(MicroBatcher, FlushesWhenTheBatchIsFullAndEachCallerGetsItsOwnResult) {
  Recorder rec;
  // A delay far longer than the test: only reaching max_batch can send the batch.
  MicroBatcher<int, int> mb([&](std::vector<int>& r) { return rec(r); },
                            {.max_batch = 4, .max_delay = 60s});
  std::vector<std::future<int>> calls;
  for (int i = 1; i <= 4; ++i) {
    calls.push_back(std::async(std::launch::async, [&mb, i] { return mb.submit(i); }));
  }
  for (int i = 1; i <= 4; ++i) EXPECT_EQ(calls[static_cast<std::size_t>(i - 1)].get(), i * 10);
  EXPECT_EQ(rec.sizes, std::vector<std::size_t>{4});
  const MicroBatcherStats st = mb.stats();
  EXPECT_EQ(st.flushed_full, 1u);
  EXPECT_EQ(st.flushed_by_time, 0u);
  EXPECT_EQ(st.requests, 4u);
}

TEST(MicroBatcher, SendsAPartialBatchWhenMaxDelayHasPassedAndNotBefore) {
  ManualClock clock;
  Recorder rec;
  MicroBatcher<int, int> mb([&](std::vector<int>& r) { return rec(r); },
                            {.max_batch = 100, .max_delay = 20ms, .clock = &clock});
  auto leader = std::async(std::launch::async, [&] { return mb.submit(7); });
  EXPECT_TRUE(clock.await_waiters(1));  // the leader waits for max_delay
  auto follower = std::async(std::launch::async, [&] { return mb.submit(8); });
  EXPECT_TRUE(clock.await_waiters(2));  // the follower waits for its answer
  clock.advance(19ms);
  EXPECT_EQ(clock.waiters(), 2u);
  EXPECT_EQ(mb.stats().batches, 0u);
  clock.advance(1ms);
  EXPECT_EQ(leader.get(), 70);
  EXPECT_EQ(follower.get(), 80);
  EXPECT_EQ(rec.sizes, std::vector<std::size_t>{2});
  EXPECT_EQ(mb.stats().flushed_by_time, 1u);
}

TEST(MicroBatcher, ACallerWhoseBatchIsNotAnsweredWithinTheTimeoutGetsMicroBatchTimeout) {
  ManualClock clock;
  std::promise<void> bulk_started;
  std::promise<void> answer;
  std::shared_future<void> answered = answer.get_future().share();
  MicroBatcher<int, int> mb(
      [&](std::vector<int>& requests) {
        bulk_started.set_value();
        answered.wait();
        return requests;
      },
      {.max_batch = 2, .max_delay = 10s, .timeout = 1s, .clock = &clock});
  auto leader = std::async(std::launch::async, [&] { return mb.submit(1); });
  EXPECT_TRUE(clock.await_waiters(1));  // the leader waits for its batch to fill
  auto follower = std::async(std::launch::async, [&] { return mb.submit(2); });
  bulk_started.get_future().wait();     // the leader left the clock to make the bulk call
  EXPECT_TRUE(clock.await_waiters(1));  // so this is the follower, waiting for its answer
  clock.advance(999ms);
  EXPECT_EQ(mb.stats().timeouts, 0u);
  clock.advance(1ms);
  EXPECT_THROW(follower.get(), MicroBatchTimeout);
  EXPECT_EQ(mb.stats().timeouts, 1u);
  answer.set_value();
  EXPECT_EQ(leader.get(), 1);  // the bulk call itself was not interrupted
}

TEST(MicroBatcher, BulkFailureReachesEveryCallerOfThatBatch) {
  MicroBatcher<int, int> mb(
      [](std::vector<int>&) -> std::vector<int> { throw std::runtime_error("bulk endpoint down"); },
      {.max_batch = 2, .max_delay = 60s});
  auto a = std::async(std::launch::async, [&] { return mb.submit(1); });
  auto b = std::async(std::launch::async, [&] { return mb.submit(2); });
  EXPECT_THROW(a.get(), std::runtime_error);
  EXPECT_THROW(b.get(), std::runtime_error);
  EXPECT_EQ(mb.stats().failed_batches, 1u);
}

TEST(MicroBatcher, WrongResultCountIsAnErrorNotAMixUp) {
  MicroBatcher<int, int> mb([](std::vector<int>&) { return std::vector<int>{1}; },
                            {.max_batch = 2, .max_delay = 60s});
  auto a = std::async(std::launch::async, [&] { return mb.submit(1); });
  auto b = std::async(std::launch::async, [&] { return mb.submit(2); });
  EXPECT_THROW(a.get(), std::length_error);
  EXPECT_THROW(b.get(), std::length_error);
}

// What a bulk call holds while it runs (a connection, in real use): counts the live ones.
struct Ticket {
  Ticket(int n, std::atomic<int>& counter) : number(n), live(&counter) { ++counter; }
  Ticket(Ticket&& other) noexcept
      : number(other.number), live(std::exchange(other.live, nullptr)) {}
  Ticket& operator=(Ticket&&) = delete;
  ~Ticket() {
    if (live != nullptr) --*live;
  }
  int number;
  std::atomic<int>* live;
};

TEST(MicroBatcher, ABatchKeepsFillingWhileItsLeaderWaitsToAcquireWhatTheCallNeeds) {
  std::promise<void> freed;
  std::shared_future<void> connection_free = freed.get_future().share();
  std::atomic<int> live{0};
  std::vector<std::size_t> sizes;
  std::vector<int> tickets;
  ManualClock clock;
  std::promise<void> acquiring;
  // Due as soon as it opens: without the wait in acquire, every request would go alone.
  MicroBatcher<int, int> mb(
      [&] {
        acquiring.set_value();
        connection_free.wait();
        return Ticket(7, live);
      },
      [&](Ticket& ticket, std::vector<int>& requests) {
        sizes.push_back(requests.size());
        tickets.push_back(ticket.number);
        EXPECT_EQ(live.load(), 1);
        std::vector<int> out;
        for (int r : requests) out.push_back(r * 10);
        return out;
      },
      {.max_batch = 100, .max_delay = 0ms, .clock = &clock});
  std::vector<std::future<int>> calls;
  calls.push_back(std::async(std::launch::async, [&mb] { return mb.submit(1); }));
  acquiring.get_future().wait();
  for (int i = 2; i <= 6; ++i) {
    calls.push_back(std::async(std::launch::async, [&mb, i] { return mb.submit(i); }));
  }
  EXPECT_TRUE(clock.await_waiters(5));  // each joined the batch and waits for its answer
  EXPECT_EQ(mb.stats().joined_while_acquiring, 5u);
  freed.set_value();
  for (int i = 1; i <= 6; ++i) EXPECT_EQ(calls[static_cast<std::size_t>(i - 1)].get(), i * 10);
  EXPECT_EQ(sizes, std::vector<std::size_t>{6});
  EXPECT_EQ(tickets, std::vector<int>{7});
  EXPECT_EQ(live.load(), 0);  // released once the bulk call ended
  EXPECT_EQ(mb.stats().batches, 1u);
}

TEST(MicroBatcher, ABatchThatFillsUpWhileWaitingIsSealedAndTheNextRequestsOpenAnother) {
  std::promise<void> freed;
  std::shared_future<void> connection_free = freed.get_future().share();
  std::atomic<int> live{0};
  std::mutex mu;
  std::vector<std::size_t> sizes;
  ManualClock clock;
  MicroBatcher<int, int> mb(
      [&] {
        connection_free.wait();
        return Ticket(0, live);
      },
      [&](Ticket&, std::vector<int>& requests) {
        std::lock_guard lock(mu);
        sizes.push_back(requests.size());
        return requests;
      },
      {.max_batch = 3, .max_delay = 0ms, .clock = &clock});
  std::vector<std::future<int>> calls;
  for (int i = 0; i < 5; ++i) {
    calls.push_back(std::async(std::launch::async, [&mb, i] { return mb.submit(i); }));
  }
  // Both leaders wait in acquire, the three others on the clock for their answers: all are in.
  EXPECT_TRUE(clock.await_waiters(3));
  EXPECT_EQ(mb.stats().requests, 5u);
  freed.set_value();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(calls[static_cast<std::size_t>(i)].get(), i);
  // The first batch took requests until it was full; the last two opened the second.
  std::sort(sizes.begin(), sizes.end());
  EXPECT_EQ(sizes, (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(live.load(), 0);
}

TEST(MicroBatcher, AnAcquireThatThrowsFailsEveryCallerOfItsBatchAndSkipsTheBulkCall) {
  std::atomic<int> bulk_calls{0};
  MicroBatcher<int, int> mb([]() -> int { throw std::runtime_error("no connection free in time"); },
                            [&](int&, std::vector<int>& requests) {
                              ++bulk_calls;
                              return requests;
                            },
                            {.max_batch = 2, .max_delay = 60s});
  auto a = std::async(std::launch::async, [&] { return mb.submit(1); });
  auto b = std::async(std::launch::async, [&] { return mb.submit(2); });
  EXPECT_THROW(a.get(), std::runtime_error);
  EXPECT_THROW(b.get(), std::runtime_error);
  EXPECT_EQ(bulk_calls.load(), 0);
  EXPECT_EQ(mb.stats().failed_batches, 1u);
}

}  // namespace
}  // namespace lumen::perf
