// The gateway's client of the models over real loopback HTTP, against a receiver that records
// what arrives.
#include "upstream_client.hpp"

#include <gtest/gtest.h>

#include <string>

#include "http_receiver.hpp"

namespace beautifyai {
namespace {

// libcurl adds "Expect: 100-continue" to a POST over 1 MB and then waits up to a second for the
// 100 before sending the body; a document with images is that large. The client asks for nothing
// to be expected, so the body goes at once whatever the server does with the expectation. The
// header is what is checked, not the time: under ThreadSanitizer a 2 MB call alone took 0.88 s.
TEST(UpstreamClient, SendsALargeBodyAtOnceWithoutAnExpectHeader) {
  lumen::testing::HttpReceiver receiver;
  receiver.script({{200, R"({"output":"done","input_tokens":1,"output_tokens":1})"}});
  UpstreamClient client({.base_url = receiver.url("")});
  const auto answers = client.call("m", {std::string(2 << 20, 'x')});
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].output, "done");
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].headers.count("expect"), 0u) << requests[0].headers.at("expect");
}

}  // namespace
}  // namespace beautifyai
