#include "lumen/perf/resource_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "lumen/core/clock.hpp"
#include "lumen/metrics/meter.hpp"

namespace lumen::perf {
namespace {

using namespace std::chrono_literals;

struct Conn {
  int id = 0;
  bool healthy = true;
};

struct Factory {
  std::shared_ptr<std::atomic<int>> made = std::make_shared<std::atomic<int>>(0);
  Conn operator()() const { return Conn{++*made, true}; }
};

TEST(ResourcePool, ExhaustedPoolTimesOutAtTheDeadlineWithAClearError) {
  ManualClock clock;
  ResourcePool<Conn> pool(Factory{}, {.name = "db", .max_size = 1, .clock = &clock});
  auto held = pool.acquire();
  auto waiter = std::async(std::launch::async, [&] { (void)pool.acquire(20ms); });
  EXPECT_TRUE(clock.await_waiters(1));
  clock.advance(19ms);
  EXPECT_EQ(clock.waiters(), 1u);  // still waiting: its deadline has not come
  EXPECT_EQ(pool.stats().timeouts, 0u);
  clock.advance(1ms);
  try {
    waiter.get();
    FAIL() << "expected PoolTimeout";
  } catch (const PoolTimeout& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("pool 'db' stayed dry for 20 ms"), std::string::npos) << msg;
    EXPECT_NE(msg.find("all 1 resources in use"), std::string::npos) << msg;
  }
  EXPECT_EQ(pool.stats().timeouts, 1u);
  EXPECT_EQ(pool.stats().waiters, 0u);
}

TEST(ResourcePool, AResourceReturnedBeforeTheDeadlineIsHandedToTheWaiter) {
  ManualClock clock;
  ResourcePool<Conn> pool(Factory{}, {.max_size = 1, .clock = &clock});
  auto held = pool.acquire();
  auto waiter = std::async(std::launch::async, [&] { return pool.acquire(20ms)->id; });
  EXPECT_TRUE(clock.await_waiters(1));
  clock.advance(19ms);
  held.reset();
  EXPECT_EQ(waiter.get(), 1);
  EXPECT_EQ(pool.stats().timeouts, 0u);
}

TEST(ResourcePool, LeaseReturnsTheResourceWhenAnExceptionUnwinds) {
  ResourcePool<Conn> pool(Factory{}, {.max_size = 1});
  try {
    auto lease = pool.acquire();
    throw std::runtime_error("request failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(pool.stats().in_use, 0u);
  EXPECT_EQ(pool.stats().idle, 1u);
  auto again = pool.acquire(10ms);  // would time out had the lease leaked
  EXPECT_EQ(again->id, 1);
  EXPECT_EQ(pool.stats().created, 1u);
}

TEST(ResourcePool, BrokenResourceIsDestroyedAndTheNextAcquireCreatesAFreshOne) {
  ResourcePool<Conn> pool(Factory{}, {.max_size = 1});
  {
    auto lease = pool.acquire();
    lease.mark_broken();
  }
  const PoolStats st = pool.stats();
  EXPECT_EQ(st.destroyed, 1u);
  EXPECT_EQ(st.idle, 0u);
  EXPECT_EQ(pool.acquire()->id, 2);
}

TEST(ResourcePool, InvalidIdleResourceIsReplacedOnAcquire) {
  ResourcePool<Conn> pool(Factory{}, {.max_size = 2}, [](Conn& c) { return c.healthy; });
  {
    auto lease = pool.acquire();
    lease->healthy = false;  // e.g. the server closed the connection while it sat idle
  }
  auto lease = pool.acquire();
  EXPECT_EQ(lease->id, 2);
  EXPECT_TRUE(lease->healthy);
  EXPECT_EQ(pool.stats().destroyed, 1u);
}

TEST(ResourcePool, ValidateOnReleaseDestroysInsteadOfPooling) {
  ResourcePool<Conn> pool(Factory{}, {.max_size = 2, .validate_on_release = true},
                          [](Conn& c) { return c.healthy; });
  {
    auto lease = pool.acquire();
    lease->healthy = false;
  }
  EXPECT_EQ(pool.stats().idle, 0u);
  EXPECT_EQ(pool.stats().destroyed, 1u);
}

TEST(ResourcePool, MinIdleIsCreatedUpFrontAndKeptAfterABreak) {
  ResourcePool<Conn> pool(Factory{}, {.max_size = 4, .min_idle = 2});
  EXPECT_EQ(pool.stats().idle, 2u);
  EXPECT_EQ(pool.stats().created, 2u);
  {
    auto a = pool.acquire();
    auto b = pool.acquire();
    b.mark_broken();
  }
  EXPECT_EQ(pool.stats().idle, 2u);  // one returned, one created to replace the broken one
  EXPECT_EQ(pool.stats().created, 3u);
}

TEST(ResourcePool, FactoryExceptionReachesTheCallerAndFreesTheSlot) {
  auto fail = std::make_shared<std::atomic<bool>>(true);
  ResourcePool<Conn> pool(
      [fail] {
        if (fail->exchange(false)) throw std::runtime_error("connection refused");
        return Conn{7, true};
      },
      {.max_size = 1});
  EXPECT_THROW((void)pool.acquire(), std::runtime_error);
  EXPECT_EQ(pool.stats().in_use, 0u);
  EXPECT_EQ(pool.acquire(10ms)->id, 7);
}

TEST(ResourcePool, WaitersAreServedInArrivalOrder) {
  ManualClock clock;
  ResourcePool<Conn> pool(Factory{}, {.max_size = 1, .clock = &clock});
  auto held = pool.acquire();
  std::mutex mu;
  std::vector<int> order;
  auto waiter = [&](int who) {
    auto lease = pool.acquire(5s);
    std::lock_guard lock(mu);
    order.push_back(who);
  };
  auto first = std::async(std::launch::async, waiter, 1);
  EXPECT_TRUE(clock.await_waiters(1));
  auto second = std::async(std::launch::async, waiter, 2);
  EXPECT_TRUE(clock.await_waiters(2));
  held.reset();
  first.get();
  second.get();
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(ResourcePool, ABrokenLeaseLetsTheLongestWaiterCreateAReplacement) {
  ManualClock clock;
  ResourcePool<Conn> pool(Factory{}, {.max_size = 1, .clock = &clock});
  auto held = pool.acquire();
  auto waiter = std::async(std::launch::async, [&] { return pool.acquire(5s)->id; });
  EXPECT_TRUE(clock.await_waiters(1));
  held.mark_broken();
  held.reset();
  EXPECT_EQ(waiter.get(), 2);
}

TEST(ResourcePool, ExportsGaugesCountersAndWaitTime) {
  metrics::MeterProvider provider;
  ResourcePool<Conn> pool(Factory{},
                          {.name = "redis", .max_size = 2, .meter = &provider.meter("perf")});
  auto a = pool.acquire();
  { auto b = pool.acquire(); }
  std::int64_t in_use = -1;
  std::int64_t idle = -1;
  std::int64_t created = -1;
  std::uint64_t waits = 0;
  for (const auto& m : provider.collect().metrics) {
    for (const auto& p : m.number_points) {
      if (m.name == "lumen.pool.in_use") in_use = p.int_value;
      if (m.name == "lumen.pool.idle") idle = p.int_value;
      if (m.name == "lumen.pool.created") created = p.int_value;
    }
    for (const auto& p : m.histogram_points) {
      if (m.name == "lumen.pool.wait_time") waits += p.count;
    }
  }
  EXPECT_EQ(in_use, 1);
  EXPECT_EQ(idle, 1);
  EXPECT_EQ(created, 2);
  EXPECT_EQ(waits, 2u);
}

}  // namespace
}  // namespace lumen::perf
