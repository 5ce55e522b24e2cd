#include "document_request.hpp"

#include <gtest/gtest.h>

#include <map>

#include "base64.hpp"

namespace beautifyai {
namespace {

std::string problem(std::string_view type, std::string_view body, RequestLimits limits = {}) {
  auto parsed = parse_document_request(type, body, limits);
  return std::holds_alternative<std::string>(parsed) ? std::get<std::string>(parsed) : "";
}

TEST(DocumentRequest, ReadsEveryFieldOfAJsonBody) {
  const std::string image = apps::base64_encode({0xFF, 0xD8, 0xFF, 0x00, 0x42});
  auto parsed = parse_document_request(
      "application/json",
      R"({"user_id":"u-1","tier":"pro","document":"text","model":"gpt-4o-mini","async":true,"images":[")" +
          image + R"("]})");
  ASSERT_TRUE(std::holds_alternative<DocumentRequest>(parsed)) << std::get<std::string>(parsed);
  const auto& r = std::get<DocumentRequest>(parsed);
  EXPECT_EQ(r.user_id, "u-1");
  EXPECT_EQ(r.tier, "pro");
  EXPECT_EQ(r.document, "text");
  EXPECT_EQ(r.model, "gpt-4o-mini");
  EXPECT_TRUE(r.async);
  ASSERT_EQ(r.images.size(), 1u);
  EXPECT_EQ(r.images[0], (std::vector<std::uint8_t>{0xFF, 0xD8, 0xFF, 0x00, 0x42}));
}

TEST(DocumentRequest, TheTierDefaultsToFree) {
  auto parsed = parse_document_request("", R"({"user_id":"u","document":"d"})");
  ASSERT_TRUE(std::holds_alternative<DocumentRequest>(parsed));
  EXPECT_EQ(std::get<DocumentRequest>(parsed).tier, "free");
}

TEST(DocumentRequest, EachMalformedBodyGetsItsOwnReason) {
  EXPECT_EQ(problem("application/json", ""), "the body is empty");
  EXPECT_EQ(problem("application/json", "{\"user_id\":"), "the body is not valid JSON");
  EXPECT_EQ(problem("application/json", "[1,2]"), "the body must be a JSON object");
  EXPECT_EQ(problem("application/json", R"({"document":"d"})"), "\"user_id\" is required");
  EXPECT_EQ(problem("application/json", R"({"user_id":"u"})"),
            "\"document\" is required and must not be empty");
  EXPECT_EQ(problem("application/json", R"({"user_id":7,"document":"d"})"),
            "\"user_id\" must be a string");
  EXPECT_EQ(problem("application/json", R"({"user_id":"u","document":"d","tier":"gold"})"),
            "\"tier\" must be free, pro or enterprise");
  EXPECT_EQ(problem("application/json", R"({"user_id":"u","document":"d","async":"yes"})"),
            "\"async\" must be true or false");
  EXPECT_EQ(problem("application/json", R"({"user_id":"u","document":"d","images":["###"]})"),
            "image 0 is not valid base64");
  EXPECT_EQ(problem("application/json", R"({"user_id":"u","document":"d","images":"x"})"),
            "\"images\" must be an array of base64 strings");
  EXPECT_EQ(
      problem("application/json", R"({"user_id":"u","document":"d","images":["QQ==","QQ=="]})",
              {.max_images = 1}),
      "at most 1 images per request");
  EXPECT_EQ(problem("application/json", R"({"user_id":"u","document":"0123456789"})",
                    {.max_document_bytes = 4}),
            "\"document\" is larger than 4 bytes");
}

// Nesting costs the parser memory (a 30 MB nested body took 1.2 GB): past the limit the body is
// refused with our message as soon as the depth is seen, even if the body never closes.
TEST(DocumentRequest, JsonNestedDeeperThanTheLimitIsRefusedWithOurMessage) {
  const std::string deep = R"({"user_id":"u","document":"d","extra":)" + std::string(100'000, '[');
  EXPECT_EQ(problem("application/json", deep), "the body nests deeper than 32 levels");
  EXPECT_EQ(problem("application/json", R"({"user_id":"u","document":"d","extra":[[[1]]]})",
                    {.max_json_depth = 3}),
            "the body nests deeper than 3 levels");
  EXPECT_EQ(problem("application/json", R"({"user_id":"u","document":"d","extra":[[1]]})",
                    {.max_json_depth = 3}),
            "");
  EXPECT_EQ(problem("application/json", std::string(100'000, '[')),
            "the body must be a JSON object");
}

TEST(DocumentRequest, FieldsItDoesNotReadMayHoldAnyJson) {
  auto parsed = parse_document_request(
      "application/json",
      R"({"meta":{"a":[1,2.5,{"b":null,"c":true}],"user_id":7},"user_id":"u","n":-5,"document":"d","tier":null})");
  ASSERT_TRUE(std::holds_alternative<DocumentRequest>(parsed)) << std::get<std::string>(parsed);
  EXPECT_EQ(std::get<DocumentRequest>(parsed).user_id, "u");
  EXPECT_EQ(std::get<DocumentRequest>(parsed).tier, "free");
  EXPECT_EQ(problem("application/json", R"({"user_id":"u","document":"d","images":[{"a":1}]})"),
            "image 0 must be a base64 string");
  EXPECT_EQ(problem("application/json", R"({"user_id":"u","document":["d"]})"),
            "\"document\" must be a string");
  EXPECT_EQ(problem("application/json", R"({"user_id":"u","document":"d"} trailing)"),
            "the body is not valid JSON");
}

TEST(JsonNesting, CountsArraysAndObjectsButNotBracketsInStrings) {
  EXPECT_TRUE(json_nesting_within(R"({"a":[{"b":"[[[[{{{{\"[["}]})", 3));
  EXPECT_FALSE(json_nesting_within(R"({"a":[{"b":[]}]})", 3));
  EXPECT_FALSE(json_nesting_within(std::string(1000, '['), 999));
  EXPECT_TRUE(json_nesting_within("[[]]", 2));
}

TEST(DocumentRequest, ReadsMultipartFieldsAndBinaryImageParts) {
  const std::string binary("\x89PNG\r\n\x1a\n\0\x01", 10);
  const std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"user_id\"\r\n\r\nu-9\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"document\"\r\n\r\nline one\r\nline two\r\n"
      "--XyZ\r\ncontent-disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n"
      "Content-Type: image/png\r\n\r\n" +
      binary + "\r\n--XyZ--\r\n";
  auto parsed = parse_document_request("multipart/form-data; boundary=XyZ", body);
  ASSERT_TRUE(std::holds_alternative<DocumentRequest>(parsed)) << std::get<std::string>(parsed);
  const auto& r = std::get<DocumentRequest>(parsed);
  EXPECT_EQ(r.user_id, "u-9");
  EXPECT_EQ(r.document, "line one\r\nline two");
  ASSERT_EQ(r.images.size(), 1u);
  EXPECT_EQ(std::string(r.images[0].begin(), r.images[0].end()), binary);
}

TEST(DocumentRequest, ATruncatedMultipartBodyOrAMissingBoundaryIsRefused) {
  EXPECT_EQ(problem("multipart/form-data", "--a\r\n"),
            "multipart/form-data needs a boundary parameter");
  EXPECT_EQ(problem("multipart/form-data; boundary=a",
                    "--a\r\nContent-Disposition: form-data; name=\"user_id\"\r\n\r\nu"),
            "the multipart body is truncated");
}

TEST(Base64, RoundTripsEveryLengthAndRejectsJunk) {
  std::vector<std::uint8_t> bytes;
  for (int n = 0; n < 20; ++n) {
    const auto back = apps::base64_decode(apps::base64_encode(bytes));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, bytes);
    bytes.push_back(static_cast<std::uint8_t>(n * 37 + 1));
  }
  EXPECT_EQ(apps::base64_encode({'M', 'a', 'n'}), "TWFu");
  EXPECT_EQ(apps::base64_encode({'M'}), "TQ==");
  EXPECT_FALSE(apps::base64_decode("TWF").has_value());   // not a multiple of 4
  EXPECT_FALSE(apps::base64_decode("TW=u").has_value());  // data after padding
  EXPECT_FALSE(apps::base64_decode("TW*u").has_value());
  EXPECT_EQ(*apps::base64_decode("TW\nFu"), (std::vector<std::uint8_t>{'M', 'a', 'n'}));
}

// A valid multipart request in which `field` carries `value` instead.
std::string multipart_with(const std::string& field, std::string_view value) {
  std::map<std::string, std::string> fields{
      {"user_id", "u-1"}, {"document", "text"}, {"tier", "pro"}};
  fields[field] = value;
  std::string body;
  for (const auto& [name, content] : fields) {
    body +=
        "--b\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + content + "\r\n";
  }
  return body + "--b--\r\n";
}

TEST(DocumentRequest, EveryMultipartTextFieldThatIsNotUtf8IsRejectedByName) {
  for (const std::string field : {"user_id", "document", "model", "tier"}) {
    EXPECT_EQ(problem("multipart/form-data; boundary=b", multipart_with(field, "caf\xff")),
              "\"" + field + "\" is not valid UTF-8")
        << field;
  }
  // An image part is bytes, not text.
  EXPECT_EQ(problem("multipart/form-data; boundary=b", multipart_with("image", "\xff\xd8\xff")),
            "");
}

}  // namespace
}  // namespace beautifyai
