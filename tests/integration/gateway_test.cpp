// The BeautifyAI gateway in process, against the model simulator over real loopback HTTP: one trace
// per request across every hop, coalescing, fallbacks and circuit breakers, backpressure, bad
// requests, asynchronous jobs, and logs and metrics that agree with the requests made.
#include "gateway.hpp"
#include "eventually.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../unit/image/test_images.hpp"
#include "base64.hpp"
#include "http_client.hpp"
#include "http_receiver.hpp"
#include "lumen/admin/admin_server.hpp"
#include "lumen/beautifyai/report_profile.hpp"
#include "lumen/export/memory_exporter.hpp"
#include "lumen/report/dashboard.hpp"
#include "model_simulator.hpp"
#include "modelsim_routes.hpp"
#include "redis_server.hpp"
#include "sanitizers.hpp"
#include "websocket_client.hpp"

namespace beautifyai {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using lumen::testing::HttpReply;

// modelsim's models with what they can do (batch endpoints), fast and without failures.
std::vector<modelsim::ModelSpec> fast_models(double median_ms = 15) {
  std::vector<modelsim::ModelSpec> models;
  for (const modelsim::ModelSpec& m : modelsim::default_models()) {
    models.push_back({.name = m.name,
                      .median_ms = median_ms,
                      .sigma = 0.1,
                      .tail_probability = 0,
                      .overhead_ms = 5,
                      .per_item_ms = 1,
                      .failure_rate = 0,
                      .requests_per_second = 0,
                      .batch_endpoint = m.batch_endpoint});
  }
  return models;
}

// Whether one line of `text` contains every one of `parts`.
bool has_line(const std::string& text, std::initializer_list<std::string_view> parts) {
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string_view line(text.data() + start, end - start);
    bool all = true;
    for (const auto part : parts) all = all && line.find(part) != std::string_view::npos;
    if (all) return true;
    start = end + 1;
  }
  return false;
}

template <typename Predicate>
bool eventually(Predicate predicate) {
  return lumen::testing::eventually(predicate, 10s);
}

class GatewayTest : public ::testing::Test {
 protected:
  void start(GatewayOptions options = {}, double median_ms = 15) {
    simulator_ = std::make_unique<modelsim::ModelSimulator>(fast_models(median_ms), 5);
    modelsim::add_routes(modelsim_, *simulator_);
    modelsim_.start();

    log_dir_ = std::filesystem::temp_directory_path() /
               ("gateway-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::remove_all(log_dir_);
    lumen::Config config;
    config.trace.exporters = {lumen::TraceExporterKind::kEmbedded};
    config.trace.batch.schedule_delay = 50ms;
    sampler_ = std::make_shared<SwitchableSampler>();
    config.trace.custom_sampler = sampler_;
    config.log.options.environment = "production";
    config.log.options.level = lumen::log::Level::kInfo;
    config.log.files.dir = log_dir_.string();
    config.propagator = propagator_;
    runtime_ = std::make_unique<lumen::Runtime>(std::move(config));

    options.upstream.base_url = "http://127.0.0.1:" + std::to_string(modelsim_.port());
    const auto open_for = options.router.breaker.open_for == BreakerOptions{}.open_for
                              ? std::chrono::milliseconds(300ms)
                              : options.router.breaker.open_for;
    options.router.breaker = {.window = 10,
                              .min_calls = 4,
                              .failure_ratio = 0.5,
                              .open_for = open_for,
                              .clock = options.router.breaker.clock};
    if (options.workers == GatewayOptions{}.workers) options.workers = 16;
    gateway_ = std::make_unique<Gateway>(*runtime_, options, sampler_);
    gateway_->mount(api_);
    gateway_->mount_control(admin_);
    api_.route("/metrics", lumen::admin::metrics_handler(runtime_->meter_provider()));
    api_.start();
    admin_.start();
  }

  void TearDown() override {
    api_.stop();
    admin_.stop();
    if (gateway_) gateway_->stop();
    gateway_.reset();
    runtime_.reset();
    modelsim_.stop();
    std::filesystem::remove_all(log_dir_);
  }

  HttpReply post(const std::string& path, const std::string& body,
                 std::vector<std::pair<std::string, std::string>> headers = {}) {
    headers.emplace_back("Content-Type", "application/json");
    return lumen::testing::http_request(api_.port(), "POST", path, headers, body);
  }
  HttpReply analyze(const std::string& document, const std::string& extra = "") {
    return post("/v1/analyze",
                R"({"user_id":"u-1","tier":"pro","document":")" + document + "\"" + extra + "}");
  }
  json stats() {
    return json::parse(lumen::testing::http_get(admin_.port(), "/control/stats").body);
  }
  HttpReply control(const std::string& body) {
    return lumen::testing::http_request(admin_.port(), "POST", "/control/optimizations",
                                        {{"Content-Type", "application/json"}}, body);
  }

  static inline int counter_ = 0;
  std::unique_ptr<modelsim::ModelSimulator> simulator_;
  lumen::admin::AdminServer modelsim_{
      {.port = 0, .max_connections = 512, .max_request_bytes = 32 << 20}};
  std::filesystem::path log_dir_;
  std::shared_ptr<SwitchableSampler> sampler_;
  lumen::propagation::Propagator propagator_;  // the Runtime's (OTEL_PROPAGATORS)
  std::unique_ptr<lumen::Runtime> runtime_;
  std::unique_ptr<Gateway> gateway_;
  lumen::admin::AdminServer api_{{.port = 0, .max_connections = 512, .max_request_bytes = 1 << 20}};
  lumen::admin::AdminServer admin_{{.port = 0}};  // the operator's endpoint: /control/*
};

TEST_F(GatewayTest, ARequestIsOneTraceFromTheHandlerThroughQueueCoalescerAndModelCall) {
  start();
  const std::string trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  const std::string caller_span = "00f067aa0ba902b7";
  const HttpReply reply = post("/v1/analyze", R"({"user_id":"u-1","document":"trace me"})",
                               {{"traceparent", "00-" + trace_id + "-" + caller_span + "-01"}});
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(json::parse(reply.body)["trace_id"], trace_id);

  std::vector<lumen::trace::SpanData> spans;
  ASSERT_TRUE(eventually([&] {
    runtime_->flush(1s);
    spans.clear();
    for (auto& s : runtime_->recent_spans()->spans()) {
      if (s.context.trace_id().to_hex() == trace_id) spans.push_back(s);
    }
    return spans.size() >= 4;
  })) << spans.size()
      << " spans";
  std::map<std::string, const lumen::trace::SpanData*> by_name;
  std::set<std::string> ids;
  for (const auto& s : spans) {
    by_name[s.name] = &s;
    ids.insert(s.context.span_id().to_hex());
  }
  for (const char* name :
       {"POST /v1/analyze", "gateway.queue", "coalescer.execute", "ai.upstream.call"}) {
    ASSERT_TRUE(by_name.count(name)) << "no span " << name;
  }
  const auto* server = by_name["POST /v1/analyze"];
  EXPECT_EQ(server->parent_span_id.to_hex(), caller_span);  // joined the caller's trace
  EXPECT_EQ(server->kind, lumen::trace::SpanKind::kServer);
  EXPECT_EQ(by_name["ai.upstream.call"]->kind, lumen::trace::SpanKind::kClient);
  // Every other span hangs below a span of this request: one unbroken tree.
  for (const auto& s : spans) {
    if (&s == server) continue;
    EXPECT_TRUE(ids.count(s.parent_span_id.to_hex())) << s.name << " has a parent outside the tree";
  }
  EXPECT_EQ(by_name["gateway.queue"]->parent_span_id, server->context.span_id());
}

// W3C Baggage: "A received header [...] SHOULD be passed on to all downstream requests". The
// model API is replaced by one that records the baggage of each call.
TEST_F(GatewayTest, TheCallersBaggageReachesTheModelCalls) {
  start();
  struct Seen {
    std::mutex mutex;
    std::vector<std::string> baggage;
  };
  auto seen = std::make_shared<Seen>();  // shared: the server may outlive this test's locals
  for (const bool batch : {false, true}) {
    modelsim_.route(
        batch ? "/v1/batch" : "/v1/generate",
        [seen, batch](const lumen::admin::AdminRequest& request) {
          {
            std::lock_guard lock(seen->mutex);
            seen->baggage.emplace_back(request.header("baggage"));
          }
          const json answer = {{"output", "ok"}, {"input_tokens", 1}, {"output_tokens", 1}};
          json body = answer;
          if (batch) {
            body = {{"results", json::array()}};
            for (std::size_t i = 0; i < json::parse(request.body)["inputs"].size(); ++i)
              body["results"].push_back(answer);
          }
          return lumen::admin::AdminResponse{
              .status = 200, .content_type = "application/json", .body = body.dump()};
        });
  }
  const HttpReply reply =
      post("/v1/analyze", R"({"user_id":"u-1","document":"baggage"})",
           {{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
            {"baggage", "userId=alice"}});
  ASSERT_EQ(reply.status, 200) << reply.body;
  std::lock_guard lock(seen->mutex);
  ASSERT_FALSE(seen->baggage.empty());
  for (const std::string& baggage : seen->baggage) EXPECT_EQ(baggage, "userId=alice");
}

// OTEL_PROPAGATORS=b3multi,baggage: the gateway continues a B3 caller's trace and calls the models
// with B3 headers (the Runtime's propagator), not with traceparent.
TEST_F(GatewayTest, TheRuntimesPropagatorReadsTheCallersHeadersAndWritesTheModelCalls) {
  propagator_ = lumen::propagation::Propagator{lumen::propagation::Format::kB3Multi,
                                               lumen::propagation::Format::kBaggage};
  start();
  struct Seen {
    std::mutex mutex;
    std::vector<lumen::admin::AdminRequest> requests;
  };
  auto seen = std::make_shared<Seen>();  // shared: the server may outlive this test's locals
  modelsim_.route("/v1/generate", [seen](const lumen::admin::AdminRequest& request) {
    {
      std::lock_guard lock(seen->mutex);
      seen->requests.push_back(request);
    }
    const json answer = {{"output", "ok"}, {"input_tokens", 1}, {"output_tokens", 1}};
    return lumen::admin::AdminResponse{
        .status = 200, .content_type = "application/json", .body = answer.dump()};
  });
  const HttpReply reply = post("/v1/analyze", R"({"user_id":"u-1","document":"b3"})",
                               {{"X-B3-TraceId", "4bf92f3577b34da6a3ce929d0e0e4736"},
                                {"X-B3-SpanId", "00f067aa0ba902b7"},
                                {"X-B3-Sampled", "1"},
                                {"baggage", "userId=alice"}});
  ASSERT_EQ(reply.status, 200) << reply.body;
  std::lock_guard lock(seen->mutex);
  ASSERT_EQ(seen->requests.size(), 1u);
  const lumen::admin::AdminRequest& call = seen->requests.front();
  EXPECT_EQ(call.header("x-b3-traceid"), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_NE(call.header("x-b3-spanid"), "00f067aa0ba902b7");
  EXPECT_EQ(call.header("x-b3-sampled"), "1");
  EXPECT_EQ(call.header("baggage"), "userId=alice");
  EXPECT_EQ(call.header("traceparent"), "");
}

TEST_F(GatewayTest, IdenticalConcurrentRequestsShareOneModelCallAndLaterOnesHitTheCache) {
  start({}, /*median_ms=*/150);
  std::vector<std::future<HttpReply>> replies;
  for (int i = 0; i < 8; ++i)
    replies.push_back(std::async(std::launch::async, [&] { return analyze("same text"); }));
  for (auto& r : replies) EXPECT_EQ(r.get().status, 200);
  const HttpReply later = analyze("same text");
  EXPECT_TRUE(json::parse(later.body)["cached"].get<bool>());
  EXPECT_EQ(simulator_->stats().at("gemini-2.0-flash").inputs, 1u);
  EXPECT_EQ(stats()["upstream_inputs"], 1);
  EXPECT_EQ(stats()["served_without_model"], 8);
}

// A cache hit is answered on the I/O thread: handing it to a worker and its answer back cost more
// than the answer itself. Misses, and bodies too large to parse there, still go to the workers.
TEST_F(GatewayTest, ACacheHitIsAnsweredWithoutAWorkerPoolTask) {
  start();
  const auto submitted = [&] { return stats()["queue"]["submitted"].get<int>(); };
  ASSERT_EQ(analyze("asked twice").status, 200);
  EXPECT_EQ(submitted(), 1);
  const HttpReply hit = analyze("asked twice");
  ASSERT_EQ(hit.status, 200);
  const json body = json::parse(hit.body);
  EXPECT_TRUE(body["cached"].get<bool>());
  EXPECT_EQ(body["model"], "gemini-2.0-flash");
  EXPECT_EQ(body["trace_id"].get<std::string>().size(), 32u);
  EXPECT_EQ(submitted(), 1);
  EXPECT_EQ(stats()["served_without_model"], 1);
  EXPECT_EQ(stats()["coalescer"]["hits"], 1);
  EXPECT_EQ(analyze("asked once").status, 200);
  EXPECT_EQ(submitted(), 2);
  // Over the size parsed on the I/O thread: a worker reads it, and finds the cached answer.
  const HttpReply padded =
      analyze("asked twice", R"(,"padding":")" + std::string(20000, 'p') + "\"");
  ASSERT_EQ(padded.status, 200);
  EXPECT_TRUE(json::parse(padded.body)["cached"].get<bool>());
  EXPECT_EQ(submitted(), 3);
}

TEST_F(GatewayTest, BadRequestsGetA4xxWithAClearJsonErrorAndTheServiceLivesOn) {
  start();
  const auto error_of = [](const HttpReply& r) { return json::parse(r.body)["error"]; };
  HttpReply r = post("/v1/analyze", "{\"user_id\":");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_of(r)["message"], "the body is not valid JSON");
  r = post("/v1/analyze", R"({"document":"d"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_of(r)["code"], "bad_request");
  r = analyze("d", R"(,"model":"no-such-model")");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_of(r)["message"], "unknown model 'no-such-model'");
  r = analyze("d", R"(,"images":[")" + apps::base64_encode({'h', 'e', 'l', 'l', 'o'}) + "\"]");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(error_of(r)["code"], "unprocessable_image");
  r = lumen::testing::http_get(api_.port(), "/v1/analyze");
  EXPECT_EQ(r.status, 405);
  r = analyze(std::string(2 << 20, 'x'));  // over the server's 1 MiB body limit
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(analyze("fine").status, 200);
}

// The body is read on a worker, not on the server's only I/O thread: a 30 MB body being parsed
// used to hold up every other client of the API (cache hits took seconds instead of a millisecond).
// Ordering, not time: a small request sent once the large body is on its way is answered first.
TEST_F(GatewayTest, ALargeBodyIsParsedOffTheIoThreadSoASmallRequestIsAnsweredFirst) {
  start();
  lumen::admin::AdminServer api(
      {.port = 0, .max_request_bytes = 32 << 20});  // the service's own limit
  gateway_->mount(api);
  api.start();
  ASSERT_EQ(analyze("warm the cache").status, 200);
  // Valid JSON, slow to read (millions of numbers in a field no one reads), without a document: a
  // 400. A sanitizer reads it about ten times slower, so a tenth of it takes as long there.
  constexpr std::size_t kBodyBytes = lumen::testing::kSanitized ? (3 << 20) : (30 << 20);
  std::string body = R"({"user_id":"u-1","padding":[)";
  body.reserve(kBodyBytes + 8);
  while (body.size() < kBodyBytes) body += "0,";
  body += "0]}";
  lumen::testing::RawConnection large(api.port());
  large.send(
      "POST /v1/analyze HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: "
      "close\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body);
  // The gateway records each request's size once the server has read it all: the warm-up's, then
  // the large one's, just before its body is parsed.
  const auto requests_read = [&] {
    std::uint64_t read = 0;
    for (const auto& metric : runtime_->meter_provider().collect().metrics) {
      for (const auto& point : metric.name == "request.size"
                                   ? metric.histogram_points
                                   : std::vector<lumen::metrics::HistogramPoint>{}) {
        read += point.count;
      }
    }
    return read;
  };
  ASSERT_TRUE(eventually([&] { return requests_read() == 2; }));
  const HttpReply hit =
      post("/v1/analyze", R"({"user_id":"u-1","tier":"pro","document":"warm the cache"})");
  EXPECT_EQ(hit.status, 200);
  EXPECT_EQ(json::parse(hit.body)["cached"], true);
  EXPECT_EQ(lumen::testing::http_get(api.port(), "/healthz").status, 200);
  // Only now may the large request's answer come.
  EXPECT_EQ(large.read_until("\r\n", 10ms), "");  // a look at what has arrived
  const HttpReply refused = lumen::testing::parse_http_reply(large.read_until_closed(60s));
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(json::parse(refused.body)["error"]["message"],
            "\"document\" is required and must not be empty");
}

TEST_F(GatewayTest, DeeplyNestedJsonIsA400WithOurMessage) {
  start();
  const HttpReply r =
      post("/v1/analyze", R"({"user_id":"u-1","document":"d","extra":)" +
                              std::string(500'000, '[') + std::string(500'000, ']') + "}");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["error"]["message"], "the body nests deeper than 32 levels");
  EXPECT_EQ(analyze("fine").status, 200);
}

// A multipart analyze request whose text fields are `fields` (user_id and tier filled in if
// absent).
HttpReply post_form(std::uint16_t port, std::map<std::string, std::string> fields) {
  fields.emplace("user_id", "u-1");
  fields.emplace("tier", "pro");
  std::string body;
  for (const auto& [name, content] : fields) {
    body +=
        "--b\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + content + "\r\n";
  }
  body += "--b--\r\n";
  return lumen::testing::http_request(port, "POST", "/v1/analyze",
                                      {{"Content-Type", "multipart/form-data; boundary=b"}}, body);
}

TEST_F(GatewayTest, TextThatIsNotUtf8IsA400WithOurOwnMessageAndCountedAsOne) {
  start();
  const auto error_of = [](const HttpReply& r) { return json::parse(r.body)["error"]; };
  HttpReply r = lumen::testing::http_get(api_.port(), "/v1/jobs/\xff");
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(error_of(r)["message"], "the job id is not valid UTF-8");

  r = post_form(api_.port(), {{"document", "text"}, {"model", "\xff"}});
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(error_of(r)["code"], "bad_request");
  EXPECT_EQ(error_of(r)["message"], "\"model\" is not valid UTF-8");

  const std::string metrics = lumen::testing::http_get(api_.port(), "/metrics").body;
  EXPECT_NE(metrics.find(R"(gateway_requests_total{route="/v1/analyze",status="400"} 1)"),
            std::string::npos);
  EXPECT_EQ(metrics.find(R"(status="500")"), std::string::npos);
}

TEST_F(GatewayTest, ADocumentThatIsNotUtf8IsTheClientsFaultAndOpensNoBreaker) {
  start();
  for (int i = 0; i < 12; ++i) {
    const HttpReply r = post_form(api_.port(), {{"document", "bad \xff " + std::to_string(i)}});
    ASSERT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(json::parse(r.body)["error"]["message"], "\"document\" is not valid UTF-8");
  }
  const json now = stats();
  EXPECT_EQ(now["upstream_calls"], 0);
  for (const auto& [model, breaker] : now["breakers"].items()) {
    EXPECT_EQ(breaker["state"], "closed") << model;
    EXPECT_EQ(breaker["opened"], 0) << model;
  }
  EXPECT_EQ(analyze("fine").status, 200);
}

TEST_F(GatewayTest, ABadMemberOfAMicroBatchFailsAloneAndCountsAgainstNoModel) {
  start();
  // The router on its own: the gateway's validation would stop the bad input before it.
  UpstreamClient upstream({.base_url = "http://127.0.0.1:" + std::to_string(modelsim_.port())});
  lumen::beautifyai::Metrics ai(runtime_->meter("router-test"));
  RouterOptions options;
  options.breaker = {.window = 10, .min_calls = 2, .failure_ratio = 0.5, .open_for = 10s};
  options.batch.max_delay = 50ms;
  ModelRouter router(upstream, options, ai, runtime_->logger());
  for (int round = 0; round < 3; ++round) {
    std::vector<std::future<RoutedAnswer>> good;
    for (int i = 0; i < 4; ++i) {
      good.push_back(std::async(std::launch::async, [&router, i, round] {
        return router.run("gemini-2.0-flash",
                          "good " + std::to_string(round) + "-" + std::to_string(i));
      }));
    }
    auto bad = std::async(std::launch::async,
                          [&router] { return router.run("gemini-2.0-flash", "bad \xff"); });
    EXPECT_THROW(bad.get(), std::exception);
    for (auto& answer : good) EXPECT_EQ(answer.get().model, "gemini-2.0-flash");
  }
  EXPECT_GE(router.batches_sent(), 1u);
  for (const auto& [model, breaker] : router.breakers()) {
    EXPECT_EQ(breaker.state, BreakerState::kClosed) << model;
    EXPECT_EQ(breaker.opened, 0u) << model;
  }
}

TEST_F(GatewayTest, AFailedMicroBatchCountsAsOneFailedCallOnItsModelsBreaker) {
  start();
  UpstreamClient upstream({.base_url = "http://127.0.0.1:" + std::to_string(modelsim_.port())});
  lumen::beautifyai::Metrics ai(runtime_->meter("router-test"));
  RouterOptions options;
  // Opens at 3 failed calls out of at least 3: a batch of six fails once (twice if the machine is
  // slow enough to split it), and its 6 members must not count as 6.
  options.breaker = {.window = 10, .min_calls = 3, .failure_ratio = 0.5, .open_for = 10s};
  options.batch.max_batch = 6;   // a batch is sent as soon as its six members have joined...
  options.batch.max_delay = 2s;  // ...which they do within this even under TSan
  ModelRouter router(upstream, options, ai, runtime_->logger());
  simulator_->set_scenario("gemini-2.0-flash", modelsim::Scenario::kDown);
  const auto send_a_batch_of_six = [&router](int round) {
    std::vector<std::future<RoutedAnswer>> answers;
    for (int i = 0; i < 6; ++i) {
      answers.push_back(std::async(std::launch::async, [&router, round, i] {
        return router.run("gemini-2.0-flash",
                          "batched " + std::to_string(round) + "-" + std::to_string(i));
      }));
    }
    for (auto& answer : answers) EXPECT_NE(answer.get().model, "gemini-2.0-flash");
  };
  send_a_batch_of_six(0);
  ASSERT_LE(simulator_->stats().at("gemini-2.0-flash").calls, 2u);
  const BreakerStats flash = router.breakers().at("gemini-2.0-flash");
  EXPECT_EQ(flash.state, BreakerState::kClosed);
  EXPECT_EQ(flash.opened, 0u);
  // A third failed call, not a third member, opens it.
  for (int round = 1; router.breakers().at("gemini-2.0-flash").opened == 0 && round < 3; ++round) {
    send_a_batch_of_six(round);
  }
  EXPECT_EQ(router.breakers().at("gemini-2.0-flash").opened, 1u);
}

TEST_F(GatewayTest, AMicroBatchKeepsFillingWhileItWaitsForAnUpstreamConnection) {
  start({}, 200);  // slow below: about 1 s a call
  // One connection, held by a slow first call: the requests that come meanwhile, 20 ms apart, are
  // due at once (no delay) but wait for the connection, and must wait in one batch, not in one
  // batch each.
  UpstreamClient upstream(
      {.base_url = "http://127.0.0.1:" + std::to_string(modelsim_.port()), .connections = 1});
  lumen::beautifyai::Metrics ai(runtime_->meter("router-test"));
  RouterOptions options;
  options.batch.max_delay = 0ms;
  ModelRouter router(upstream, options, ai, runtime_->logger());
  simulator_->set_scenario("gemini-2.0-flash", modelsim::Scenario::kSlow);
  auto first =
      std::async(std::launch::async, [&router] { return router.run("gemini-2.0-flash", "first"); });
  ASSERT_TRUE(eventually([&] { return simulator_->stats().at("gemini-2.0-flash").calls == 1; }));
  std::vector<std::future<RoutedAnswer>> waiting;
  for (int i = 0; i < 10; ++i) {
    waiting.push_back(std::async(std::launch::async, [&router, i] {
      return router.run("gemini-2.0-flash", "waiting " + std::to_string(i));
    }));
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(first.get().model, "gemini-2.0-flash");
  for (auto& answer : waiting) EXPECT_EQ(answer.get().model, "gemini-2.0-flash");
  const modelsim::ModelStats flash = simulator_->stats().at("gemini-2.0-flash");
  EXPECT_EQ(flash.inputs, 11u);
  // The first call, then the ten together (a third call if the machine is slow enough for some of
  // them to arrive after the second batch got the connection). Sealed before the wait, as before,
  // each went alone.
  EXPECT_LE(flash.calls, 3u);
}

TEST_F(GatewayTest, ControlRoutesAreNotServedOnThePublicApiPort) {
  start();
  EXPECT_EQ(lumen::testing::http_get(api_.port(), "/control/stats").status, 404);
  EXPECT_EQ(post("/control/optimizations", R"({"coalescing":false,"tracing":false})").status, 404);
  EXPECT_TRUE(gateway_->optimizations().coalescing);
  EXPECT_TRUE(gateway_->optimizations().tracing);
  // The operator's endpoint serves them.
  EXPECT_EQ(stats()["requests"], 0);
  EXPECT_EQ(control(R"({"coalescing":false})").status, 200);
  EXPECT_FALSE(gateway_->optimizations().coalescing);
}

TEST_F(GatewayTest, AModelGoingDownOpensItsBreakerFallsBackAndRecovers) {
  lumen::ManualClock clock;
  GatewayOptions options;
  options.router.breaker.open_for = 1s;
  options.router.breaker.clock = &clock;
  start(options);
  simulator_->set_scenario("gemini-2.0-flash", modelsim::Scenario::kDown);
  for (int i = 0; i < 8; ++i) {
    const HttpReply r = analyze("outage " + std::to_string(i));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(json::parse(r.body)["model"], "gemini-2.0-flash");
  }
  EXPECT_EQ(stats()["breakers"]["gemini-2.0-flash"]["state"], "open");
  const std::string metrics = lumen::testing::http_get(api_.port(), "/metrics").body;
  EXPECT_NE(metrics.find(R"(ai_circuit_state{model="gemini-2.0-flash"} 2)"), std::string::npos);
  EXPECT_NE(metrics.find(R"(type="upstream_503")"), std::string::npos);
  clock.advance(999ms);
  EXPECT_EQ(stats()["breakers"]["gemini-2.0-flash"]["state"], "open");
  // Its pause over, it would let a probe through: it says so without waiting for a request.
  clock.advance(1ms);
  EXPECT_EQ(stats()["breakers"]["gemini-2.0-flash"]["state"], "half_open");
  EXPECT_NE(lumen::testing::http_get(api_.port(), "/metrics")
                .body.find(R"(ai_circuit_state{model="gemini-2.0-flash"} 1)"),
            std::string::npos);

  simulator_->set_scenario("gemini-2.0-flash", modelsim::Scenario::kNormal);
  EXPECT_EQ(json::parse(analyze("recovered").body)["model"], "gemini-2.0-flash");
  EXPECT_EQ(stats()["breakers"]["gemini-2.0-flash"]["state"], "closed");
  // From the opening to the successful probe, on the test's clock.
  EXPECT_EQ(stats()["breakers"]["gemini-2.0-flash"]["last_recovery_ms"].get<double>(), 1000.0);
}

TEST_F(GatewayTest, A429StormIsAbsorbedByFallbacksAndCounted) {
  start();
  simulator_->set_scenario("gemini-2.0-flash", modelsim::Scenario::kRateLimited);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(analyze("storm " + std::to_string(i)).status, 200);
  const std::string metrics = lumen::testing::http_get(api_.port(), "/metrics").body;
  EXPECT_NE(metrics.find(R"(type="rate_limited")"), std::string::npos);
  simulator_->set_scenario("gpt-4o-mini", modelsim::Scenario::kRateLimited);
  simulator_->set_scenario("claude-3-haiku", modelsim::Scenario::kRateLimited);
  simulator_->set_scenario("gemini-1.5-pro", modelsim::Scenario::kRateLimited);
  const HttpReply r = analyze("nobody answers");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.headers.at("retry-after"), "1");
}

TEST_F(GatewayTest, ConcurrentRequestsForAModelWithoutABatchEndpointAreAnsweredByIt) {
  GatewayOptions options;
  options.router.batch.max_delay = 50ms;  // concurrent requests would surely share a batch
  start(options);
  std::vector<std::future<HttpReply>> replies;
  for (int i = 0; i < 8; ++i) {
    replies.push_back(std::async(std::launch::async, [this, i] {
      return analyze("mini " + std::to_string(i), R"(,"model":"gpt-4o-mini")");
    }));
  }
  for (auto& reply : replies) {
    const HttpReply r = reply.get();
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json::parse(r.body)["model"], "gpt-4o-mini");
    EXPECT_EQ(json::parse(r.body)["attempts"], 1);
  }
  for (const auto& [model, s] : simulator_->stats()) {
    EXPECT_EQ(s.calls, model == "gpt-4o-mini" ? 8u : 0u) << model;
  }
  const json now = stats();
  for (const auto& [model, breaker] : now["breakers"].items())
    EXPECT_EQ(breaker["opened"], 0) << model;
}

// An all-zero RGBA PNG: about 100 KB per 25 million pixels, 4 bytes per pixel once decoded.
std::vector<std::uint8_t> zero_rgba_png(int width, int height) {
  const vips::VImage black =
      vips::VImage::black(width, height, vips::VImage::option()->set("bands", 4));
  return lumen::image::testing::png(
      black.copy(vips::VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB)));
}

TEST_F(GatewayTest, ImagesOverTheMemoryBudgetAre503WithRetryAfterAndTheAdmittedSucceed) {
  GatewayOptions options;
  options.image_memory_budget = 150 << 20;  // one 5000x5000 RGBA image (95.4 MB decoded), not two
  start(options);
  const std::string zero = apps::base64_encode(zero_rgba_png(5000, 5000));
  const auto with_image = [&](const std::string& document) {
    return analyze(document, R"(,"images":[")" + zero + "\"]");
  };
  const auto send_concurrently = [&](int n, const std::string& prefix) {
    std::vector<std::future<HttpReply>> replies;
    for (int i = 0; i < n; ++i) {
      replies.push_back(std::async(std::launch::async,
                                   [&, i] { return with_image(prefix + std::to_string(i)); }));
    }
    std::vector<HttpReply> out;
    for (auto& r : replies) out.push_back(r.get());
    return out;
  };

  // Other work holds the budget: every image is refused at once, with a time to come back.
  {
    lumen::image::MemoryBudget::Reservation other =
        gateway_->image_memory_budget().try_reserve(100 << 20);
    for (const HttpReply& r : send_concurrently(3, "held ")) {
      ASSERT_EQ(r.status, 503) << r.body;
      EXPECT_EQ(r.headers.at("retry-after"), "1");
      EXPECT_EQ(json::parse(r.body)["error"]["code"], "overloaded");
    }
  }

  // Several at once: whichever finds the budget free is admitted and answered, the others are
  // told to retry; the budget never holds more than its capacity.
  int refused = 0;
  int answered = 0;
  for (const HttpReply& r : send_concurrently(4, "burst ")) {
    if (r.status == 503) {
      EXPECT_EQ(r.headers.at("retry-after"), "1");
      ++refused;
    } else {
      ASSERT_EQ(r.status, 200) << r.body;
      ++answered;
    }
  }
  EXPECT_GE(answered, 1);
  const lumen::image::MemoryBudgetStats budget = gateway_->image_memory_budget().stats();
  EXPECT_EQ(budget.used_bytes, 0u);
  EXPECT_LE(budget.peak_bytes, budget.capacity_bytes);
  EXPECT_EQ(budget.refused_full, static_cast<std::uint64_t>(3 + refused));

  // An image larger than the whole budget will never fit: 413, not "retry".
  const HttpReply too_large =
      analyze("huge", R"(,"images":[")" + apps::base64_encode(zero_rgba_png(6500, 6500)) + "\"]");
  EXPECT_EQ(too_large.status, 413) << too_large.body;
  EXPECT_EQ(json::parse(too_large.body)["error"]["code"], "too_large");

  const std::string metrics = lumen::testing::http_get(api_.port(), "/metrics").body;
  EXPECT_NE(metrics.find("image_memory_budget_refused_total{reason=\"full\"} " +
                         std::to_string(3 + refused)),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find(R"(image_memory_budget_refused_total{reason="larger_than_budget"} 1)"),
            std::string::npos);
  EXPECT_NE(metrics.find("image_memory_budget_limit_bytes " + std::to_string(150 << 20)),
            std::string::npos);
  EXPECT_NE(metrics.find("image_memory_budget_usage_bytes 0"), std::string::npos);
}

TEST_F(GatewayTest, AFullQueueAnswers503WithRetryAfterAndEveryRequestIsAnswered) {
  GatewayOptions options;
  options.workers = 1;
  options.queue_capacity = 1;
  start(options, /*median_ms=*/300);
  std::vector<std::future<HttpReply>> replies;
  for (int i = 0; i < 6; ++i) {
    replies.push_back(
        std::async(std::launch::async, [&, i] { return analyze("load " + std::to_string(i)); }));
  }
  int ok = 0;
  int busy = 0;
  for (auto& f : replies) {
    const HttpReply r = f.get();
    if (r.status == 200) ++ok;
    if (r.status == 503) {
      ++busy;
      EXPECT_EQ(r.headers.at("retry-after"), "1");
      EXPECT_EQ(json::parse(r.body)["error"]["code"], "overloaded");
    }
  }
  EXPECT_EQ(ok + busy, 6);
  EXPECT_GE(ok, 1);
  EXPECT_GE(busy, 1);
  EXPECT_EQ(stats()["rejected"], busy);
}

TEST_F(GatewayTest, AnAsyncJobIsAcceptedAtOnceAndItsResultFetchedLater) {
  start();
  const HttpReply accepted = analyze("later please", R"(,"async":true)");
  ASSERT_EQ(accepted.status, 202);
  const std::string url = json::parse(accepted.body)["status_url"];
  json job;
  ASSERT_TRUE(eventually([&] {
    job = json::parse(lumen::testing::http_get(api_.port(), url).body);
    return job["status"] == "done";
  })) << job.dump();
  EXPECT_EQ(job["http_status"], 200);
  EXPECT_EQ(job["result"]["model"], "gemini-2.0-flash");
  EXPECT_EQ(lumen::testing::http_get(api_.port(), "/v1/jobs/unknown").status, 404);
}

// Reads stream messages until a "result" (or nothing more comes); all of them, in order.
std::vector<json> messages_until_result(lumen::testing::WebSocketClient& stream) {
  std::vector<json> got;
  while (auto text = stream.receive(30s)) {
    got.push_back(json::parse(*text));
    if (got.back()["type"] == "result" || got.back()["type"] == "error") break;
  }
  return got;
}

TEST_F(GatewayTest, AStreamSubmitsAJobAndPushesItsProgressInOrderThenTheResult) {
  start();
  lumen::testing::WebSocketClient stream(api_.port(), "/v1/stream");
  const std::string image =
      apps::base64_encode(lumen::image::testing::png(lumen::image::testing::gradient(64, 48)));
  stream.send(json{
      {"operation", "analyze"},
      {"user_id", "u-1"},
      {"tier", "pro"},
      {"document", "streamed"},
      {"images",
       {image}}}.dump());
  const std::vector<json> got = messages_until_result(stream);
  ASSERT_GE(got.size(), 2U);
  EXPECT_EQ(got.front()["type"], "accepted");
  const std::string id = got.front()["job_id"];
  const json& result = got.back();
  ASSERT_EQ(result["type"], "result") << result.dump();
  EXPECT_EQ(result["job_id"], id);
  EXPECT_EQ(result["http_status"], 200);
  EXPECT_EQ(result["result"]["model"], "gemini-2.0-flash");
  // Whatever the client caught up with, the stages it saw go forwards only.
  const std::vector<std::string> order{"queued", "started", "optimizing_images", "calling_model",
                                       "done"};
  std::size_t last = 0;
  for (std::size_t i = 1; i < got.size(); ++i) {
    EXPECT_EQ(got[i]["job_id"], id);
    const auto at = std::find(order.begin(), order.end(), got[i]["stage"].get<std::string>());
    ASSERT_NE(at, order.end()) << got[i].dump();
    const auto position = static_cast<std::size_t>(at - order.begin());
    EXPECT_GE(position, last) << got[i].dump();
    last = position;
  }
  // The same result as GET /v1/jobs/{id} gives.
  const json polled = json::parse(lumen::testing::http_get(api_.port(), "/v1/jobs/" + id).body);
  EXPECT_EQ(polled["result"], result["result"]);
}

TEST_F(GatewayTest, AStreamFollowsAJobSubmittedOverHttpAndAnswersBadMessagesWithErrors) {
  start({}, /*median_ms=*/100);
  const HttpReply accepted = analyze("followed", R"(,"async":true)");
  ASSERT_EQ(accepted.status, 202);
  const std::string id = json::parse(accepted.body)["job_id"];
  lumen::testing::WebSocketClient stream(api_.port(), "/v1/stream?job=" + id);
  const std::vector<json> got = messages_until_result(stream);
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.back()["type"], "result");
  EXPECT_EQ(got.back()["result"]["output"].is_string(), true);

  const auto error_for = [&](const std::string& message) {
    stream.send(message);
    const auto reply = stream.receive(5s);
    return reply ? json::parse(*reply) : json();
  };
  EXPECT_EQ(error_for("not json")["error"]["code"], "bad_request");
  EXPECT_EQ(error_for(R"({"subscribe":"no-such-job"})")["error"]["code"], "not_found");
  EXPECT_EQ(error_for(R"({"operation":"summon"})")["error"]["code"], "bad_request");
  const json missing = error_for(R"({"operation":"analyze","user_id":"u-1"})");
  EXPECT_EQ(missing["type"], "error");
  EXPECT_EQ(missing["http_status"], 400);
  // After all that, the stream still takes work.
  stream.send(json{{"subscribe", id}}.dump());
  EXPECT_EQ(json::parse(stream.receive(5s).value_or("{}"))["type"], "result");
}

TEST_F(GatewayTest, AStreamAskedToFollowAJobIdThatIsNotUtf8AnswersWithOurError) {
  start();
  lumen::testing::WebSocketClient stream(api_.port(), "/v1/stream?job=%FF");
  const json reply = json::parse(stream.receive(5s).value_or("{}"));
  EXPECT_EQ(reply["type"], "error");
  EXPECT_EQ(reply["error"]["code"], "bad_request");
  EXPECT_EQ(reply["error"]["message"], "the job id is not valid UTF-8");
  stream.send(json{{"operation", "analyze"}, {"user_id", "u-1"}, {"document", "after"}}.dump());
  EXPECT_EQ(json::parse(stream.receive(5s).value_or("{}"))["type"], "accepted");
}

TEST_F(GatewayTest, ActiveConnectionsCountsTheOpenStreams) {
  start();
  const auto active = [&] {
    const std::string metrics = lumen::testing::http_get(api_.port(), "/metrics").body;
    const std::size_t at = metrics.find("\nactive_connections ");
    return at == std::string::npos ? -1 : std::stoi(metrics.substr(at + 20));
  };
  EXPECT_EQ(active(), 0);
  {
    lumen::testing::WebSocketClient first(api_.port(), "/v1/stream");
    lumen::testing::WebSocketClient second(api_.port(), "/v1/stream");
    EXPECT_TRUE(eventually([&] { return active() == 2; }));
    first.close();
    EXPECT_TRUE(eventually([&] { return active() == 1; }));
  }
  EXPECT_TRUE(eventually([&] { return active() == 0; }));
}

// Chaos with the performance dashboard watching, as the service runs it (bin/beautifyai), with
// time driven by the test: calm, then the default model slow, then every model down, then
// recovery. The latency and error-rate alerts each fire once and resolve once, and the webhook
// hears every transition.
TEST_F(GatewayTest, ChaosFiresTheLatencyAndErrorAlertsAndRecoveryResolvesThem) {
  start({},
        /*median_ms=*/30);  // p99 under 0.075 s when calm (sanitizers included), over 0.15 s slow
  lumen::testing::HttpReceiver webhook;
  lumen::report::DashboardOptions options;
  options.profile = lumen::beautifyai::report_profile();
  options.alerts.thresholds = {{.name = "latency_p99_high",
                                .signal = "latency_p99",
                                .fire_above = 0.15,
                                .resolve_below = 0.1,
                                .for_evaluations = 2,
                                .severity = "warning"},
                               {.name = "error_rate_high",
                                .signal = "error_rate",
                                .fire_above = 0.05,
                                .resolve_below = 0.01,
                                .for_evaluations = 2,
                                .severity = "critical"}};
  options.alerts.anomaly.enabled = false;  // thresholds only: the transitions asserted are exact
  options.alerts.burn_rate.enabled = false;
  options.webhook.url = webhook.url("/alerts");
  lumen::report::Dashboard dashboard(runtime_->meter_provider(), options);
  std::uint64_t now = dashboard.now_ns();
  const auto sample_after = [&](std::chrono::nanoseconds step) {
    now += static_cast<std::uint64_t>(step.count());
    dashboard.sample_at(now);
  };
  const auto active = [&] {
    std::set<std::string> names;
    for (const auto& alert : dashboard.alerts().active()) names.insert(alert.name);
    return names;
  };
  int n = 0;
  const auto traffic = [&](int requests) {
    for (int i = 0; i < requests; ++i) analyze("chaos " + std::to_string(n++));
  };

  traffic(10);
  sample_after(10s);
  sample_after(10s);
  EXPECT_TRUE(active().empty());

  simulator_->set_scenario("gemini-2.0-flash", modelsim::Scenario::kSlow);  // x5 latency
  traffic(10);
  sample_after(10s);
  sample_after(10s);
  EXPECT_EQ(active(), std::set<std::string>{"latency_p99_high"});

  for (const ModelInfo& m : default_models())
    simulator_->set_scenario(m.name, modelsim::Scenario::kDown);
  traffic(10);
  sample_after(10s);
  sample_after(10s);
  EXPECT_EQ(active(), (std::set<std::string>{"error_rate_high", "latency_p99_high"}));
  EXPECT_NE(dashboard.report_json(lumen::report::Period::k5m).find("error_rate_high"),
            std::string::npos);

  for (const ModelInfo& m : default_models())
    simulator_->set_scenario(m.name, modelsim::Scenario::kNormal);
  EXPECT_TRUE(
      eventually([&] { return analyze("recovering " + std::to_string(n++)).status == 200; }));
  sample_after(6min);  // the recovery is the new baseline; the 5 min window leaves the incident
  traffic(10);
  sample_after(6min);
  sample_after(10s);
  EXPECT_TRUE(active().empty());

  // Four transitions, each posted once.
  std::vector<std::string> heard;
  for (const auto& request : webhook.wait_for_requests(4, 10s)) {
    const json event = json::parse(request.body);
    heard.push_back(event["alert"].get<std::string>() + " " + event["state"].get<std::string>());
  }
  std::sort(heard.begin(), heard.end());
  EXPECT_EQ(heard,
            (std::vector<std::string>{"error_rate_high firing", "error_rate_high resolved",
                                      "latency_p99_high firing", "latency_p99_high resolved"}));
}

TEST_F(GatewayTest, AClientThatHangsUpMidRequestCostsNothingButItsOwnAnswer) {
  start({}, /*median_ms=*/100);
  {
    lumen::testing::RawConnection gone(api_.port());
    const std::string body = R"({"user_id":"u","document":"abandoned"})";
    gone.send(
        "POST /v1/analyze HTTP/1.1\r\nHost: x\r\nContent-Type: "
        "application/json\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body);
  }  // closed before the answer
  EXPECT_TRUE(eventually([&] { return stats()["requests"] == 1; }));
  EXPECT_EQ(analyze("still here").status, 200);
}

// The server span lasts the request's latency as the log line reports it: it starts when the
// request is received and ends with the latency's measurement, on no clock read of its own.
TEST_F(GatewayTest, LogLinesCarryTheRequestsTraceIdAndTheSpansDurationAndMetricsCountTheRequests) {
  start();
  const HttpReply ok = analyze("logged");
  const HttpReply bad = post("/v1/analyze", "nope");
  ASSERT_EQ(ok.status, 200);
  const std::string trace_id = json::parse(ok.body)["trace_id"];
  runtime_->logger().flush(2s);
  std::ifstream combined(log_dir_ / "combined.log");
  // The request's server span, which ends before the line is written, is the line's span.
  std::string server_span_id;
  double server_span_ms = 0;
  for (const lumen::trace::SpanData& span : runtime_->recent_spans()->spans()) {
    if (span.name == "POST /v1/analyze" && span.context.trace_id().to_hex() == trace_id) {
      server_span_id = span.context.span_id().to_hex();
      server_span_ms = static_cast<double>(span.end_ns - span.start_ns) / 1e6;
    }
  }
  ASSERT_FALSE(server_span_id.empty());
  std::string line;
  int completed = 0;
  bool found = false;
  while (std::getline(combined, line)) {
    const json record = json::parse(line);
    if (record["message"] != "request completed") continue;
    ++completed;
    if (record["status"] == 200) {
      EXPECT_EQ(record["traceId"], trace_id);
      EXPECT_EQ(record["spanId"], server_span_id);
      EXPECT_NEAR(record["duration_ms"].get<double>(), server_span_ms, 1e-6);  // 1 ns
      found = true;
    }
  }
  EXPECT_EQ(completed, 2);
  EXPECT_TRUE(found);
  const std::string metrics = lumen::testing::http_get(api_.port(), "/metrics").body;
  EXPECT_NE(metrics.find(R"(gateway_requests_total{route="/v1/analyze",status="200"} 1)"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find(R"(gateway_requests_total{route="/v1/analyze",status="400"} 1)"),
            std::string::npos);
  EXPECT_TRUE(has_line(metrics,
                       {"ai_requests_total{", R"(model="gemini-2.0-flash")", R"(success="true")"}));
}

TEST_F(GatewayTest, TurningTracingOffDropsEverySpanAndOnAgainRecordsThem) {
  start();
  ASSERT_EQ(control(R"({"tracing":false})").status, 200);
  const std::string off = json::parse(analyze("untraced").body)["trace_id"];
  ASSERT_EQ(control(R"({"tracing":true})").status, 200);
  const std::string on = json::parse(analyze("traced").body)["trace_id"];
  bool seen_on = false;
  ASSERT_TRUE(eventually([&] {
    runtime_->flush(1s);
    for (const auto& s : runtime_->recent_spans()->spans()) {
      EXPECT_NE(s.context.trace_id().to_hex(), off);
      seen_on = seen_on || s.context.trace_id().to_hex() == on;
    }
    return seen_on;
  }));
  EXPECT_EQ(control(R"({"tracing":"no"})").status, 400);
}

TEST_F(GatewayTest, AResultCachedInRedisServesAnotherGatewayInstance) {
  lumen::testing::RedisServer redis;
  ASSERT_TRUE(redis.start()) << lumen::testing::kRedisServer
                             << " did not start: run scripts/bootstrap.sh";
  GatewayOptions options;
  options.redis_url = redis.url();
  start(options);
  ASSERT_EQ(analyze("shared across instances").status, 200);

  // A second instance with its own process state: an empty in-process cache, the same Redis.
  lumen::Runtime other_runtime{lumen::Config{}};
  options.upstream.base_url = "http://127.0.0.1:" + std::to_string(modelsim_.port());
  options.workers = 4;
  Gateway other(other_runtime, options);
  lumen::admin::AdminServer other_api({.port = 0});
  other.mount(other_api);
  other_api.start();
  const HttpReply reply = lumen::testing::http_request(
      other_api.port(), "POST", "/v1/analyze", {{"Content-Type", "application/json"}},
      R"({"user_id":"u-2","tier":"pro","document":"shared across instances"})");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_TRUE(json::parse(reply.body)["cached"].get<bool>());
  EXPECT_EQ(json::parse(reply.body)["model"], "gemini-2.0-flash");
  EXPECT_EQ(simulator_->stats().at("gemini-2.0-flash").inputs, 1u);

  // Redis gone: the instance degrades to calling the model, and answers.
  redis.kill();
  const HttpReply degraded = lumen::testing::http_request(
      other_api.port(), "POST", "/v1/analyze", {{"Content-Type", "application/json"}},
      R"({"user_id":"u-2","document":"while redis is down"})");
  EXPECT_EQ(degraded.status, 200) << degraded.body;
  other_api.stop();
  other.stop();
}

}  // namespace
}  // namespace beautifyai
