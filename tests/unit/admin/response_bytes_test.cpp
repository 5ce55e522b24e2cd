#include "admin/response_bytes.hpp"

#include <gtest/gtest.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>

namespace lumen::admin {
namespace {

namespace http = boost::beast::http;
using detail::append_response;
using detail::ResponseFraming;

// The answer as Beast's parser (not ours) reads it; fails the test unless it is one whole message
// that uses every byte.
http::response<http::string_body> parse(const std::string& bytes, bool head = false) {
  http::response_parser<http::string_body> parser;
  parser.eager(true);
  parser.skip(head);  // the answer to a HEAD request has no body, whatever its length says
  boost::system::error_code ec;
  const std::size_t used = parser.put(boost::asio::buffer(bytes), ec);
  EXPECT_FALSE(ec) << ec.message() << " in:\n" << bytes;
  EXPECT_TRUE(parser.is_done()) << bytes;
  EXPECT_EQ(used, bytes.size()) << bytes;
  return parser.release();
}

std::string bytes_of(const AdminResponse& answer, ResponseFraming framing) {
  std::string out;
  append_response(out, answer, framing);
  return out;
}

TEST(ResponseBytes, AnAnswerParsesBackWithItsStatusHeadersAndBody) {
  const std::string bytes = bytes_of({.status = 503,
                                      .content_type = "application/json",
                                      .body = R"({"error":"overloaded"})",
                                      .headers = {{"Retry-After", "1"}}},
                                     {.version = 11, .keep_alive = true});
  EXPECT_EQ(bytes.substr(0, bytes.find("\r\n")), "HTTP/1.1 503 Service Unavailable");
  const auto message = parse(bytes);
  EXPECT_EQ(message.result_int(), 503U);
  EXPECT_EQ(message[http::field::content_type], "application/json");
  EXPECT_EQ(message[http::field::retry_after], "1");
  EXPECT_EQ(message[http::field::content_length], "22");
  EXPECT_EQ(message.body(), R"({"error":"overloaded"})");
  EXPECT_TRUE(message.keep_alive());
  EXPECT_EQ(message.count(http::field::connection), 0U);  // HTTP/1.1's default says it
}

TEST(ResponseBytes, AnAnswerToHeadHasTheLengthOfTheBodyWithoutItsBytes) {
  const std::string bytes = bytes_of({.body = "twelve bytes"}, {.keep_alive = true, .head = true});
  EXPECT_TRUE(bytes.ends_with("\r\n\r\n")) << bytes;
  const auto message = parse(bytes, /*head=*/true);
  EXPECT_EQ(message[http::field::content_length], "12");
  EXPECT_EQ(message.body(), "");
}

TEST(ResponseBytes, ConnectionIsSentWhenTheVersionsDefaultDoesNotSayIt) {
  const AdminResponse answer{.body = "ok\n"};
  const auto closing_11 = parse(bytes_of(answer, {.version = 11, .keep_alive = false}));
  EXPECT_EQ(closing_11[http::field::connection], "close");
  EXPECT_FALSE(closing_11.keep_alive());

  const std::string kept_10 = bytes_of(answer, {.version = 10, .keep_alive = true});
  EXPECT_TRUE(kept_10.starts_with("HTTP/1.0 200 OK\r\n")) << kept_10;
  EXPECT_EQ(parse(kept_10)[http::field::connection], "keep-alive");
  EXPECT_TRUE(parse(kept_10).keep_alive());

  const auto closing_10 = parse(bytes_of(answer, {.version = 10, .keep_alive = false}));
  EXPECT_EQ(closing_10.count(http::field::connection), 0U);
  EXPECT_FALSE(closing_10.keep_alive());
}

TEST(ResponseBytes, AHandlersHeadersCannotAddHeadersNorChangeTheFraming) {
  const std::string bytes = bytes_of({.body = "body",
                                      .headers = {{"X-Note", "first\r\nSet-Cookie: stolen=1"},
                                                  {"Bad Name", "dropped"},
                                                  {"", "dropped"},
                                                  {"Content-Length", "999"},
                                                  {"transfer-encoding", "chunked"},
                                                  {"Connection", "keep-alive"},
                                                  {"X-Twice", "old"},
                                                  {"x-twice", "new"},
                                                  {"content-type", "text/csv"}}},
                                     {.version = 11, .keep_alive = false});
  const auto message = parse(bytes);
  EXPECT_EQ(message.count(http::field::set_cookie), 0U) << bytes;
  EXPECT_EQ(message["X-Note"], "first  Set-Cookie: stolen=1");
  EXPECT_EQ(bytes.find("Bad Name"), std::string::npos);
  EXPECT_EQ(bytes.find("dropped"), std::string::npos);
  EXPECT_EQ(message[http::field::content_length], "4");
  EXPECT_EQ(message.count(http::field::transfer_encoding), 0U);
  EXPECT_EQ(message[http::field::connection], "close");
  EXPECT_EQ(message.count("X-Twice"), 1U);
  EXPECT_EQ(message["X-Twice"], "new");
  EXPECT_EQ(message.count(http::field::content_type), 1U);
  EXPECT_EQ(message[http::field::content_type], "text/csv");
  EXPECT_EQ(message.body(), "body");
}

TEST(ResponseBytes, StatusesWithoutABodySendNeitherLengthNorBytes) {
  for (const unsigned status : {204U, 304U}) {
    const std::string bytes =
        bytes_of({.status = status, .body = "ignored"}, {.version = 11, .keep_alive = true});
    EXPECT_TRUE(bytes.ends_with("\r\n\r\n")) << bytes;
    EXPECT_EQ(bytes.find("Content-Length"), std::string::npos) << bytes;
    EXPECT_EQ(parse(bytes).result_int(), status);
  }
}

TEST(ResponseBytes, AStatusThatIsNotThreeDigitsBecomesAServerError) {
  for (const unsigned status : {0U, 42U, 1000U}) {
    const auto message = parse(bytes_of({.status = status}, {.version = 11, .keep_alive = true}));
    EXPECT_EQ(message.result_int(), 500U) << status;
  }
}

TEST(ResponseBytes, AppendsAfterWhatTheBufferHolds) {
  std::string out = "earlier";
  append_response(out, {.body = "x"}, {.version = 11, .keep_alive = true});
  EXPECT_TRUE(out.starts_with("earlierHTTP/1.1 200 OK\r\n")) << out;
}

}  // namespace
}  // namespace lumen::admin
