// The model simulator (apps/modelsim): its behaviour, which the reference service's claims are
// measured against, and its HTTP API over real sockets.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <vector>

#include "http_client.hpp"
#include "lumen/admin/admin_server.hpp"
#include "model_simulator.hpp"
#include "modelsim_routes.hpp"

namespace modelsim {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

ModelSpec steady(std::string name) {
  // No randomness in the latency and no failures: exact expectations.
  return {.name = std::move(name),
          .median_ms = 100,
          .sigma = 1e-9,
          .tail_probability = 0,
          .overhead_ms = 40,
          .per_item_ms = 10,
          .failure_rate = 0,
          .requests_per_second = 0};
}

TEST(ModelSimulator, TheSameSeedGivesTheSameOutcomes) {
  ModelSimulator a(default_models(), 7);
  ModelSimulator b(default_models(), 7);
  ModelSimulator c(default_models(), 8);
  bool any_difference_with_other_seed = false;
  const auto t = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) {
    const auto x = a.call("gemini-2.0-flash", {"doc"}, t + i * 1s);
    const auto y = b.call("gemini-2.0-flash", {"doc"}, t + i * 1s);
    const auto z = c.call("gemini-2.0-flash", {"doc"}, t + i * 1s);
    EXPECT_EQ(x.latency, y.latency);
    EXPECT_EQ(x.status, y.status);
    any_difference_with_other_seed |= x.latency != z.latency;
  }
  EXPECT_TRUE(any_difference_with_other_seed);
}

TEST(ModelSimulator, LatencyFollowsTheSpecsMedianAndBatchesPayTheOverheadOnce) {
  ModelSpec spec{.name = "m",
                 .median_ms = 200,
                 .sigma = 0.35,
                 .tail_probability = 0,
                 .overhead_ms = 50,
                 .failure_rate = 0,
                 .requests_per_second = 0};
  ModelSimulator sim({spec}, 1);
  std::vector<std::int64_t> ms;
  for (int i = 0; i < 2001; ++i) ms.push_back(sim.call("m", {"x"}).latency.count());
  std::nth_element(ms.begin(), ms.begin() + 1000, ms.end());
  EXPECT_NEAR(static_cast<double>(ms[1000]), 250.0, 15.0);

  ModelSimulator exact({steady("s")}, 1);
  EXPECT_EQ(exact.call("s", {"a"}).latency, 140ms);
  EXPECT_EQ(exact.call("s", {"a", "b", "c", "d", "e"}).latency, 180ms);  // 40 + 100 + 4 x 10
}

TEST(ModelSimulator, RateLimitAnswers429WithRetryAfterAndRefills) {
  ModelSpec spec = steady("limited");
  spec.requests_per_second = 2;
  ModelSimulator sim({spec}, 1);
  const auto t = std::chrono::steady_clock::now();
  EXPECT_EQ(sim.call("limited", {"a"}, t).status, 200);
  EXPECT_EQ(sim.call("limited", {"a"}, t).status, 200);
  const Outcome limited = sim.call("limited", {"a"}, t);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.retry_after, 1s);
  EXPECT_EQ(sim.call("limited", {"a"}, t + 600ms).status, 200);  // 1.2 tokens refilled
  EXPECT_EQ(sim.stats().at("limited").rate_limited, 1u);
}

TEST(ModelSimulator, ScenariosSwitchAtRunTime) {
  ModelSimulator sim({steady("m")}, 1);
  sim.set_scenario("m", Scenario::kSlow);
  EXPECT_EQ(sim.call("m", {"a"}).latency, 700ms);  // 140 x 5
  sim.set_scenario("m", Scenario::kDown);
  const Outcome down = sim.call("m", {"a"});
  EXPECT_EQ(down.status, 503);
  EXPECT_GT(down.retry_after.count(), 0);
  sim.set_scenario("m", Scenario::kNormal);
  EXPECT_EQ(sim.call("m", {"a"}).status, 200);
  EXPECT_THROW(sim.set_scenario("nope", Scenario::kDown), std::invalid_argument);
  EXPECT_EQ(sim.call("nope", {"a"}).status, 404);
}

TEST(ModelSimulator, TokensAndCostAreAccounted) {
  ModelSpec spec = steady("m");
  spec.input_usd_per_1k_tokens = 1;
  spec.output_usd_per_1k_tokens = 2;
  ModelSimulator sim({spec}, 1);
  const Outcome o = sim.call("m", {std::string(400, 'x')});
  ASSERT_EQ(o.status, 200);
  EXPECT_EQ(o.input_tokens.at(0), 100);
  EXPECT_EQ(o.output_tokens.at(0), 100);  // 50 + 100 / 2
  const ModelStats s = sim.stats().at("m");
  EXPECT_EQ(s.input_tokens, 100);
  EXPECT_DOUBLE_EQ(s.cost_usd, 0.1 + 0.2);
}

class ModelSimHttp : public ::testing::Test {
 protected:
  void SetUp() override {
    add_routes(server_, sim_);
    server_.start();
  }
  lumen::testing::HttpReply post(const std::string& target, const std::string& body) {
    return lumen::testing::http_request(server_.port(), "POST", target,
                                        {{"Content-Type", "application/json"}}, body);
  }
  ModelSimulator sim_{{steady("fast")}, 3};
  lumen::admin::AdminServer server_{{.port = 0}};
};

TEST_F(ModelSimHttp, GenerateAnswersAfterTheSimulatedLatencyWithTokens) {
  const auto start = std::chrono::steady_clock::now();
  const auto reply = post("/v1/generate?model=fast", R"({"input":"abcdefgh"})");
  EXPECT_GE(std::chrono::steady_clock::now() - start, 140ms);
  ASSERT_EQ(reply.status, 200) << reply.body;
  const json body = json::parse(reply.body);
  EXPECT_EQ(body["model"], "fast");
  EXPECT_EQ(body["input_tokens"], 2);
  EXPECT_EQ(body["latency_ms"], 140);
}

TEST_F(ModelSimHttp, BatchAnswersEveryInputInOrder) {
  const auto reply = post("/v1/batch?model=fast", R"({"inputs":["a","bbbbbbbb","c"]})");
  ASSERT_EQ(reply.status, 200) << reply.body;
  const json body = json::parse(reply.body);
  ASSERT_EQ(body["results"].size(), 3u);
  EXPECT_EQ(body["results"][1]["input_tokens"], 2);
  EXPECT_EQ(
      json::parse(lumen::testing::http_get(server_.port(), "/v1/stats").body)["fast"]["inputs"], 3);
}

TEST_F(ModelSimHttp, BadRequestsGetA400WithAReason) {
  EXPECT_EQ(post("/v1/generate?model=fast", "not json").status, 400);
  EXPECT_EQ(post("/v1/generate?model=fast", R"({"input": 3})").status, 400);
  EXPECT_EQ(post("/v1/generate", R"({"input":"x"})").status, 400);
  EXPECT_EQ(post("/v1/batch?model=fast", R"({"inputs": []})").status, 400);
  const auto unknown = post("/v1/generate?model=nope", R"({"input":"x"})");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(json::parse(unknown.body)["error"].get<std::string>().find("nope"), std::string::npos);
}

TEST_F(ModelSimHttp, AModelTakenDownAnswers503WithRetryAfterUntilRestored) {
  EXPECT_EQ(post("/control/scenario", R"({"model":"fast","scenario":"down"})").status, 200);
  const auto down = post("/v1/generate?model=fast", R"({"input":"x"})");
  EXPECT_EQ(down.status, 503);
  EXPECT_EQ(down.headers.at("retry-after"), "5");
  EXPECT_EQ(post("/control/scenario", R"({"model":"fast","scenario":"sideways"})").status, 400);
  EXPECT_EQ(post("/control/scenario", R"({"model":"fast","scenario":"normal"})").status, 200);
  EXPECT_EQ(post("/v1/generate?model=fast", R"({"input":"x"})").status, 200);
}

}  // namespace
}  // namespace modelsim
