// examples/propagation_service driven as the W3C trace-context test harness drives a service:
// POST /test with trace headers and a list of {url, arguments}; the urls point at a recording HTTP
// server (and back at the service, for nested calls), which shows the headers the service sent.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "http_client.hpp"
#include "http_receiver.hpp"
#include "signal_mask.hpp"

namespace {

using namespace std::chrono_literals;
using Lines = std::vector<std::pair<std::string, std::string>>;

const std::string kTraceHex = "4bf92f3577b34da6a3ce929d0e0e4736";
const std::string kParentHex = "00f067aa0ba902b7";
const std::string kTraceParent = "00-" + kTraceHex + "-" + kParentHex + "-01";

// The service as a process on a free port, stopped with SIGTERM.
class Service {
 public:
  explicit Service(std::vector<std::string> env = {})
      : port_(lumen::testing::free_loopback_port()) {
    env_ = std::move(env);
    env_.push_back("OTEL_TRACES_EXPORTER=memory");
    std::vector<char*> envp;
    for (auto& e : env_) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::string path = LUMEN_PROPAGATION_SERVICE;
    std::string port_flag = "--port";
    std::string port = std::to_string(port_);
    char* argv[] = {path.data(), port_flag.data(), port.data(), nullptr};
    posix_spawn_file_actions_t quiet;
    posix_spawn_file_actions_init(&quiet);
    posix_spawn_file_actions_addopen(&quiet, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    const int spawned = posix_spawn(&pid_, path.c_str(), &quiet, nullptr, argv, envp.data());
    posix_spawn_file_actions_destroy(&quiet);
    if (spawned != 0) throw std::runtime_error("cannot start " + path);
    // Ready when it answers an empty list.
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      try {
        if (lumen::testing::http_request(port_, "POST", "/test", {}, "[]").status == 200) return;
      } catch (const std::exception&) {
        // not listening yet
      }
      std::this_thread::sleep_for(50ms);
    }
    throw std::runtime_error("the propagation service did not start listening");
  }
  ~Service() {
    if (pid_ > 0) (void)stop();
  }
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // The exit status after SIGTERM; -1 if it did not exit normally.
  int stop() {
    const std::vector<std::string> not_blocking =
        lumen::testing::threads_not_blocking(pid_, SIGTERM);
    EXPECT_TRUE(not_blocking.empty())
        << "threads that would die of SIGTERM: " << ::testing::PrintToString(not_blocking);
    ::kill(pid_, SIGTERM);
    int status = -1;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  [[nodiscard]] std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/test";
  }

  lumen::testing::HttpReply test(const Lines& headers, const std::string& calls) const {
    return lumen::testing::http_request(port_, "POST", "/test", headers, calls, 30s);
  }

 private:
  std::uint16_t port_;
  std::vector<std::string> env_;
  pid_t pid_ = -1;
};

std::string call(const std::string& url, const std::string& arguments = "[]") {
  return R"({"url": ")" + url + R"(", "arguments": )" + arguments + "}";
}

struct TraceParent {
  std::string version, trace_id, parent_id, flags;
};

TraceParent split(const std::string& header) {
  EXPECT_EQ(header.size(), 55u) << header;
  if (header.size() != 55) return {};
  return {header.substr(0, 2), header.substr(3, 32), header.substr(36, 16), header.substr(53, 2)};
}

class PropagationService : public ::testing::Test {
 protected:
  Service service;
  lumen::testing::HttpReceiver harness;

  // The one request the service sent to the harness for `headers`, with a single callback.
  lumen::testing::ReceivedRequest relay(const Lines& headers) {
    EXPECT_EQ(service.test(headers, "[" + call(harness.url("/callback")) + "]").status, 200);
    const auto received = harness.requests();
    EXPECT_EQ(received.size(), 1u);
    return received.empty() ? lumen::testing::ReceivedRequest{} : received.front();
  }
};

TEST_F(PropagationService, ContinuesTheTraceUnderItsOwnSpanAndForwardsTheTraceStateNormalised) {
  const auto sent = relay({{"traceparent", kTraceParent}, {"tracestate", "foo=1 ,\t, bar=2"}});
  const TraceParent out = split(sent.headers.at("traceparent"));
  EXPECT_EQ(out.version, "00");
  EXPECT_EQ(out.trace_id, kTraceHex);
  EXPECT_NE(out.parent_id, kParentHex);  // the service's own span is the callee's parent
  EXPECT_EQ(out.flags, "01");
  EXPECT_EQ(sent.headers.at("tracestate"), "foo=1,bar=2");
}

TEST_F(PropagationService, AnUnsampledCallerStaysUnsampled) {
  const auto sent = relay({{"traceparent", "00-" + kTraceHex + "-" + kParentHex + "-00"}});
  const TraceParent out = split(sent.headers.at("traceparent"));
  EXPECT_EQ(out.trace_id, kTraceHex);
  EXPECT_NE(out.parent_id, kParentHex);
  EXPECT_EQ(out.flags, "00");
}

TEST_F(PropagationService, AnInvalidTraceParentStartsANewTraceWithoutTheTraceState) {
  for (const std::string& invalid : {
           "00-" + std::string(32, '0') + "-" + kParentHex + "-01",      // all-zero trace id
           "00-" + kTraceHex + "-" + std::string(16, '0') + "-01",       // all-zero parent id
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-" + kParentHex + "-01",  // upper case
           "ff-" + kTraceHex + "-" + kParentHex + "-01",                 // forbidden version
           kTraceParent + "-extra",                                      // version 00 with more
       }) {
    SCOPED_TRACE(invalid);
    lumen::testing::HttpReceiver fresh;
    ASSERT_EQ(service
                  .test({{"traceparent", invalid}, {"tracestate", "foo=1"}},
                        "[" + call(fresh.url("/callback")) + "]")
                  .status,
              200);
    const auto received = fresh.requests();
    ASSERT_EQ(received.size(), 1u);
    const TraceParent out = split(received[0].headers.at("traceparent"));
    EXPECT_EQ(out.version, "00");
    EXPECT_NE(out.trace_id, kTraceHex);
    EXPECT_EQ(out.trace_id.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_EQ(received[0].headers.count("tracestate"), 0u);
  }
}

TEST_F(PropagationService, AHigherVersionIsContinuedAndSentOnAsVersion00) {
  const auto sent = relay({{"traceparent", "cc-" + kTraceHex + "-" + kParentHex + "-01-future"}});
  const TraceParent out = split(sent.headers.at("traceparent"));
  EXPECT_EQ(out.version, "00");
  EXPECT_EQ(out.trace_id, kTraceHex);
}

TEST_F(PropagationService, RepeatedTraceStateLinesAreCombinedAndRepeatedTraceParentsRestart) {
  const auto combined =
      relay({{"traceparent", kTraceParent}, {"tracestate", "foo=1"}, {"TraceState", "bar=2"}});
  EXPECT_EQ(combined.headers.at("tracestate"), "foo=1,bar=2");

  lumen::testing::HttpReceiver fresh;
  ASSERT_EQ(service
                .test({{"traceparent", kTraceParent}, {"traceparent", kTraceParent}},
                      "[" + call(fresh.url("/callback")) + "]")
                .status,
            200);
  ASSERT_EQ(fresh.requests().size(), 1u);
  EXPECT_NE(split(fresh.requests()[0].headers.at("traceparent")).trace_id, kTraceHex);
}

TEST_F(PropagationService, WithoutTraceHeadersANewTraceStarts) {
  const auto sent = relay({});
  const TraceParent out = split(sent.headers.at("traceparent"));
  EXPECT_EQ(out.version, "00");
  EXPECT_NE(out.trace_id, std::string(32, '0'));
  EXPECT_EQ(sent.headers.count("tracestate"), 0u);
}

TEST_F(PropagationService, TheCallersBaggageIsForwarded) {
  const auto sent =
      relay({{"traceparent", kTraceParent}, {"baggage", "userId=alice, serverNode = DF%2028"}});
  EXPECT_EQ(sent.headers.at("baggage"), "userId=alice,serverNode=DF%2028");
}

// Each element is a call of its own, in order, with its arguments as the body.
TEST_F(PropagationService, EveryElementIsPostedInOrderWithItsArgumentsInTheSameTrace) {
  const std::string calls = "[" + call(harness.url("/1"), R"({"a": [1, 2]})") + ", " +
                            call(harness.url("/2"), R"(["x"])") + "]";
  ASSERT_EQ(service.test({{"traceparent", kTraceParent}}, calls).status, 200);
  const auto received = harness.requests();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0].path, "/1");
  EXPECT_EQ(received[0].body, R"({"a":[1,2]})");
  EXPECT_EQ(received[1].path, "/2");
  EXPECT_EQ(received[1].body, R"(["x"])");
  EXPECT_EQ(received[0].method, "POST");
  EXPECT_EQ(received[0].headers.at("content-type"), "application/json");
  const TraceParent first = split(received[0].headers.at("traceparent"));
  const TraceParent second = split(received[1].headers.at("traceparent"));
  EXPECT_EQ(first.trace_id, kTraceHex);
  EXPECT_EQ(second.trace_id, kTraceHex);
  EXPECT_NE(first.parent_id, second.parent_id);  // a client span per call
}

// The harness nests calls: an element's url may be the service itself, with a list of its own.
TEST_F(PropagationService, ANestedCallBackToTheServiceContinuesTheSameTrace) {
  const std::string nested = "[" + call(harness.url("/inner")) + "]";
  ASSERT_EQ(service
                .test({{"traceparent", kTraceParent}, {"tracestate", "foo=1"}},
                      "[" + call(service.url(), nested) + "]")
                .status,
            200);
  const auto received = harness.requests();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].path, "/inner");
  EXPECT_EQ(split(received[0].headers.at("traceparent")).trace_id, kTraceHex);
  EXPECT_EQ(received[0].headers.at("tracestate"), "foo=1");
}

TEST_F(PropagationService, ABodyThatIsNotAJsonArrayIs400) {
  EXPECT_EQ(service.test({}, R"({"url": "x"})").status, 400);
  EXPECT_EQ(service.test({}, "not json").status, 400);
  EXPECT_EQ(service.stop(), 0);  // and SIGTERM stops it cleanly
}

// OTEL_PROPAGATORS reaches the service through its Runtime: B3 in, B3 out.
TEST(PropagationServiceFormats, OtelPropagatorsChoosesTheHeadersReadAndWritten) {
  Service service({"OTEL_PROPAGATORS=b3multi"});
  lumen::testing::HttpReceiver harness;
  ASSERT_EQ(
      service
          .test({{"X-B3-TraceId", kTraceHex},
                 {"X-B3-SpanId", kParentHex},
                 {"X-B3-Sampled", "1"},
                 {"traceparent", "00-11111111111111111111111111111111-" + kParentHex + "-01"}},
                "[" + call(harness.url("/callback")) + "]")
          .status,
      200);
  const auto received = harness.requests();
  ASSERT_EQ(received.size(), 1u);
  const auto& headers = received[0].headers;
  EXPECT_EQ(headers.at("x-b3-traceid"), kTraceHex);
  EXPECT_NE(headers.at("x-b3-spanid"), kParentHex);
  EXPECT_EQ(headers.at("x-b3-sampled"), "1");
  EXPECT_EQ(headers.count("traceparent"), 0u);  // tracecontext is not among the formats
}

}  // namespace
