#include "job_store.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace beautifyai {
namespace {

// What a listener heard, one "status/stage/http_status" per call.
struct Heard {
  std::vector<std::string> events;
  JobListener listener() {
    return [this](const std::string&, const JobState& s) {
      events.push_back(std::string(to_string(s.status)) + "/" + s.stage + "/" +
                       std::to_string(s.http_status));
    };
  }
};

TEST(JobStore, TracksAJobAndForgetsTheOldestPastItsCapacity) {
  JobStore store(2);
  const std::string a = store.create();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(store.find(a)->status, JobStatus::kQueued);
  store.set_running(a);
  EXPECT_EQ(store.find(a)->status, JobStatus::kRunning);
  store.finish(a, 200, "{}");
  EXPECT_EQ(store.find(a)->status, JobStatus::kDone);
  const std::string b = store.create();
  store.finish(b, 503, "{}");
  EXPECT_EQ(store.find(b)->status, JobStatus::kFailed);
  const std::string c = store.create();
  EXPECT_FALSE(store.find(a).has_value());
  EXPECT_TRUE(store.find(c).has_value());
  EXPECT_EQ(store.evicted(), 1u);
}

TEST(JobStore, AListenerHearsTheStateNowThenEveryChangeInOrderUntilTheEnd) {
  JobStore store;
  const std::string id = store.create();
  Heard heard;
  ASSERT_EQ(store.subscribe(id, 1, heard.listener()), Subscribed::kYes);
  store.set_running(id, "optimizing_images");
  store.set_running(id, "calling_model");
  store.finish(id, 200, R"({"output":"x"})");
  store.set_running(id, "late");  // after the end: nobody hears it
  EXPECT_EQ(heard.events,
            (std::vector<std::string>{"queued/queued/0", "running/optimizing_images/0",
                                      "running/calling_model/0", "done/done/200"}));
  EXPECT_EQ(store.listeners(), 0u);
}

TEST(JobStore, SubscribingToAFinishedJobGivesItsResultAndKeepsNoListener) {
  JobStore store;
  const std::string id = store.create();
  store.finish(id, 422, "{}");
  Heard heard;
  EXPECT_EQ(store.subscribe(id, 1, heard.listener()), Subscribed::kYes);
  EXPECT_EQ(heard.events, std::vector<std::string>{"failed/failed/422"});
  EXPECT_EQ(store.listeners(), 0u);
  EXPECT_EQ(store.subscribe("no-such-job", 1, heard.listener()), Subscribed::kUnknownJob);
}

TEST(JobStore, UnsubscribeRemovesEveryListenerOfItsOwnerAndNoOther) {
  JobStore store;
  const std::string a = store.create();
  const std::string b = store.create();
  Heard mine;
  Heard theirs;
  store.subscribe(a, 7, mine.listener());
  store.subscribe(b, 7, mine.listener());
  store.subscribe(a, 8, theirs.listener());
  store.unsubscribe(7);
  EXPECT_EQ(store.listeners(), 1u);
  store.finish(a, 200, "{}");
  store.finish(b, 200, "{}");
  EXPECT_EQ(mine.events.size(), 2u);  // only the states at subscription
  EXPECT_EQ(theirs.events.back(), "done/done/200");
}

TEST(JobStore, ListenersAreBoundedPerJobAndForgottenWithTheirJob) {
  JobStore store(1);
  const std::string id = store.create();
  Heard heard;
  for (std::size_t i = 0; i < JobStore::kMaxListenersPerJob; ++i) {
    ASSERT_EQ(store.subscribe(id, i, heard.listener()), Subscribed::kYes);
  }
  EXPECT_EQ(store.subscribe(id, 99, heard.listener()), Subscribed::kTooManyListeners);
  EXPECT_EQ(store.listeners(), JobStore::kMaxListenersPerJob);
  (void)store.create();  // evicts the job, and its listeners with it
  EXPECT_EQ(store.listeners(), 0u);
}

}  // namespace
}  // namespace beautifyai
