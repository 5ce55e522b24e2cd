// The Zipkin v2 JSON encoder's edge cases (the integration test ZipkinExport.* checks whole
// bodies against the Zipkin API's schema): the remote endpoint's ranking, Zipkin's 1 us minimum
// duration, dropped counts, values JSON cannot hold.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "export/zipkin_json_encoder.hpp"

namespace lumen::exporters::detail {
namespace {

using nlohmann::json;

std::unique_ptr<trace::SpanData> span(trace::SpanKind kind) {
  auto s = std::make_unique<trace::SpanData>();
  s->context = SpanContext(*TraceId::from_hex("0af7651916cd43dd8448eb211c80319c"),
                           *SpanId::from_hex("b7ad6b7169203331"), SpanContext::kSampledFlag);
  s->name = "op";
  s->kind = kind;
  s->start_ns = 1'700'000'000'123'456'789ULL;
  s->end_ns = s->start_ns + 2'500'000;
  return s;
}

json encode_one(std::unique_ptr<trace::SpanData> s) {
  std::vector<std::unique_ptr<trace::SpanData>> batch;
  batch.push_back(std::move(s));
  const json list = json::parse(encode_zipkin_spans(batch));
  EXPECT_EQ(list.size(), 1u);
  return list.at(0);
}

TEST(ZipkinJsonEncoder, IdsAreLowercaseHexAndTimesAreMicroseconds) {
  const json z = encode_one(span(trace::SpanKind::kInternal));
  EXPECT_EQ(z["traceId"], "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(z["id"], "b7ad6b7169203331");
  EXPECT_EQ(z["timestamp"], 1'700'000'000'123'456LL);
  EXPECT_EQ(z["duration"], 2500);
  EXPECT_EQ(z["localEndpoint"]["serviceName"], "unknown_service");  // no resource
}

TEST(ZipkinJsonEncoder, ASpanShorterThanAMicrosecondLastsOne) {
  auto s = span(trace::SpanKind::kInternal);
  s->end_ns = s->start_ns + 300;
  EXPECT_EQ(encode_one(std::move(s))["duration"], 1);
}

TEST(ZipkinJsonEncoder, RemoteEndpointFollowsTheSpecificationsRanking) {
  auto producer = span(trace::SpanKind::kProducer);
  producer->attributes.set("net.peer.name", std::string("broker-1"));
  producer->attributes.set("peer.service", std::string("orders-queue"));
  producer->attributes.set("db.name", std::string("unused"));
  EXPECT_EQ(encode_one(std::move(producer))["remoteEndpoint"],
            json({{"serviceName", "orders-queue"}}));

  auto client = span(trace::SpanKind::kClient);
  client->attributes.set("http.host", std::string("api.example"));
  client->attributes.set("net.peer.name", std::string("10.0.0.7"));
  client->attributes.set("net.peer.port", std::int64_t{8443});
  EXPECT_EQ(encode_one(std::move(client))["remoteEndpoint"],
            json({{"serviceName", "10.0.0.7"}, {"port", 8443}}));

  auto server = span(trace::SpanKind::kServer);
  server->attributes.set("peer.service", std::string("caller"));
  EXPECT_FALSE(encode_one(std::move(server)).contains("remoteEndpoint"));
}

TEST(ZipkinJsonEncoder, DroppedCountsBecomeTags) {
  auto s = span(trace::SpanKind::kInternal);
  s->dropped_attributes = 3;
  s->dropped_events = 2;
  s->dropped_links = 1;
  const json tags = encode_one(std::move(s))["tags"];
  EXPECT_EQ(tags["otel.dropped_attributes_count"], "3");
  EXPECT_EQ(tags["otel.dropped_events_count"], "2");
  EXPECT_EQ(tags["otel.dropped_links_count"], "1");
}

TEST(ZipkinJsonEncoder, ValuesJsonCannotHoldStillGiveValidJson) {
  auto s = span(trace::SpanKind::kInternal);
  s->name = std::string("bad\xff utf8");
  s->attributes.set("ratio", std::numeric_limits<double>::quiet_NaN());
  s->attributes.set("limit", std::numeric_limits<double>::infinity());
  s->attributes.set("flags", std::vector<bool>{true, false});
  s->status = trace::StatusCode::kError;
  const json z = encode_one(std::move(s));
  EXPECT_EQ(z["name"], "bad\xef\xbf\xbd utf8");  // U+FFFD
  EXPECT_EQ(z["tags"]["ratio"], "NaN");
  EXPECT_EQ(z["tags"]["limit"], "Infinity");
  EXPECT_EQ(z["tags"]["flags"], "[true,false]");
  EXPECT_EQ(z["tags"]["otel.status_code"], "ERROR");
  EXPECT_EQ(z["tags"]["error"], "");  // an error without a description still says so
}

}  // namespace
}  // namespace lumen::exporters::detail
