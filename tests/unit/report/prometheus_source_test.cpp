// PrometheusSource's queries and its reading of the answers, against an InMemoryTransport that
// answers as Prometheus's HTTP API does; tests/integration/report_prometheus_test.cpp runs it
// against a real Prometheus.
#include "lumen/report/prometheus_source.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/ascii.hpp"
#include "lumen/export/in_memory_transport.hpp"

namespace lumen::report {
namespace {

using exporters::HttpExchange;
using exporters::HttpRequest;
using exporters::InMemoryTransport;

// The decoded value of the query parameter `name` of `url`.
std::string parameter(const std::string& url, const std::string& name) {
  const std::size_t at = url.find(name + "=");
  if (at == std::string::npos) return {};
  const std::size_t start = at + name.size() + 1;
  const std::size_t end = url.find('&', start);
  return ascii::percent_decode(url.substr(start, end == std::string::npos ? end : end - start));
}

HttpExchange vector_answer(const std::string& results) {
  return {
      .status = 200,
      .body = R"({"status":"success","data":{"resultType":"vector","result":[)" + results + "]}}"};
}

TEST(PrometheusSource, AsksAnInstantQueryThroughItsTransportAndSumsTheVector) {
  auto transport = std::make_shared<InMemoryTransport>([](const HttpRequest&) {
    return vector_answer(R"({"metric":{},"value":[1700000060,"12.5"]},)"
                         R"({"metric":{},"value":[1700000060,"+Inf"]},)"
                         R"({"metric":{},"value":[1700000060,"2.5"]})");
  });
  PrometheusSource source({.url = "http://prometheus.invalid:9090/",
                           .selector = R"(job="checkout")",
                           .transport = transport});
  const std::uint64_t t0 = 1'700'000'000'000'000'000ULL;
  const std::uint64_t t1 = t0 + 60'000'000'000ULL;
  EXPECT_DOUBLE_EQ(source.increase("http.server.requests", {{"route", "/a b"}}, t0, t1), 15.0);
  EXPECT_EQ(source.errors(), 0u);
  const auto requests = transport->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].url.rfind("http://prometheus.invalid:9090/api/v1/query?query=", 0), 0u)
      << requests[0].url;
  EXPECT_EQ(requests[0].url.find(' '), std::string::npos);  // percent-encoded
  EXPECT_EQ(parameter(requests[0].url, "query"),
            R"(sum(increase(http_server_requests_total{route="/a b",job="checkout"}[60000ms])))");
  EXPECT_EQ(parameter(requests[0].url, "time"), "1700000060.000");
}

TEST(PrometheusSource, CountsAFailedOrMalformedAnswerAsAnErrorAndNoData) {
  int call = 0;
  auto transport = std::make_shared<InMemoryTransport>([&](const HttpRequest&) {
    switch (++call) {
      case 1:
        return HttpExchange{.status = 503, .body = "overloaded"};
      case 2:
        return HttpExchange{.error = exporters::TransportError::kCannotConnect,
                            .error_text = "refused"};
      case 3:
        return HttpExchange{.status = 200, .body = R"({"status":"success","data":{}})"};
      default:
        return vector_answer(R"({"metric":{"model":"m"},"value":[0,"1"]})");
    }
  });
  PrometheusSource source({.url = "http://prometheus.invalid:9090", .transport = transport});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(source.increase("requests", {}, 0, 60'000'000'000), 0.0);
  EXPECT_EQ(source.errors(), 3u);
  EXPECT_EQ(source.increase_by("requests", "model", {}, 0, 60'000'000'000).at("m"), 1.0);
  EXPECT_EQ(source.errors(), 3u);
}

}  // namespace
}  // namespace lumen::report
