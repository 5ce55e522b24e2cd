// The admin endpoint over real sockets: routes, content negotiation, and what misbehaving clients
// cannot do to it (a stalled request, too many connections, an oversized body).
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "eventually.hpp"
#include "http_client.hpp"
#include "lumen/admin/admin_server.hpp"
#include "lumen/core/error.hpp"
#include "lumen/export/memory_exporter.hpp"
#include "lumen/metrics/meter.hpp"
#include "lumen/runtime.hpp"

namespace lumen::admin {
namespace {

using namespace std::chrono_literals;
using lumen::testing::http_get;
using lumen::testing::http_request;
using lumen::testing::RawConnection;

AdminServerOptions ephemeral(AdminServerOptions options = {}) {
  options.port = 0;
  return options;
}

using lumen::testing::eventually;

TEST(AdminServer, ServesMetricsAsPrometheusTextOrOpenMetricsByAcceptHeader) {
  metrics::MeterProvider provider;
  auto requests = provider.meter("test").create_counter<std::int64_t>("ai.requests");
  requests.add(3, {{"model", "gemini-2.0-flash"}});
  AdminServer server(ephemeral());
  server.route("/metrics", metrics_handler(provider));
  server.start();

  const auto text = http_get(server.port(), "/metrics");
  EXPECT_EQ(text.status, 200);
  EXPECT_NE(text.headers.at("content-type").find("text/plain; version=0.0.4"), std::string::npos);
  EXPECT_NE(text.body.find("ai_requests_total{model=\"gemini-2.0-flash\"} 3"), std::string::npos)
      << text.body;
  EXPECT_EQ(text.body.find("# EOF"), std::string::npos);

  const auto open_metrics = http_get(server.port(), "/metrics",
                                     {{"Accept", "application/openmetrics-text; version=1.0.0"}});
  EXPECT_EQ(open_metrics.status, 200);
  EXPECT_NE(open_metrics.headers.at("content-type").find("application/openmetrics-text"),
            std::string::npos);
  EXPECT_NE(open_metrics.body.find("# EOF"), std::string::npos);

  requests.add(2, {{"model", "gemini-2.0-flash"}});  // every scrape collects afresh
  EXPECT_NE(http_get(server.port(), "/metrics").body.find("} 5"), std::string::npos);
  EXPECT_EQ(http_request(server.port(), "POST", "/metrics").status, 405);
}

TEST(AdminServer, HealthzAnswersOkAndUnknownPathsAre404) {
  AdminServer server(ephemeral());
  server.start();
  const auto health = http_get(server.port(), "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");
  EXPECT_EQ(http_get(server.port(), "/nope").status, 404);
}

TEST(AdminServer, RoutesSeeDecodedQueryParametersAndHeadKeepsTheLength) {
  AdminServer server(ephemeral());
  server.route("/report", [](const AdminRequest& request) {
    return AdminResponse{.content_type = "application/json",
                         .body = "{\"period\":\"" + request.query_param("period", "1h") + "\"}"};
  });
  server.start();
  EXPECT_EQ(http_get(server.port(), "/report?x=1&period=5m").body, "{\"period\":\"5m\"}");
  EXPECT_EQ(http_get(server.port(), "/report").body, "{\"period\":\"1h\"}");
  EXPECT_EQ(http_get(server.port(), "/report?period=a%20b+c").body, "{\"period\":\"a b c\"}");
  // '+' is a space, an encoded "%2B" a plus; a '%' that starts no escape stays as it is.
  EXPECT_EQ(http_get(server.port(), "/report?per%69od=1%2B1+%zz").body, "{\"period\":\"1+1 %zz\"}");
  const auto head = http_request(server.port(), "HEAD", "/report?period=5m");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.headers.at("content-length"), "15");
  EXPECT_TRUE(head.body.empty());
}

TEST(AdminServer, AHandlerThatThrowsGets500AndIsCounted) {
  AdminServer server(ephemeral());
  server.route("/boom", [](const AdminRequest&) -> AdminResponse {
    throw std::runtime_error("report store unavailable");
  });
  server.start();
  const auto reply = http_get(server.port(), "/boom");
  EXPECT_EQ(reply.status, 500);
  EXPECT_NE(reply.body.find("report store unavailable"), std::string::npos);
  EXPECT_EQ(server.stats().handler_errors, 1u);
  EXPECT_EQ(http_get(server.port(), "/healthz").status, 200);  // the server lives on
}

TEST(AdminServer, AStalledClientNeitherBlocksOthersNorKeepsItsConnection) {
  AdminServer server(ephemeral({.read_timeout = 300ms}));
  server.start();
  RawConnection stalled(server.port());
  stalled.send("GET /metr");  // and nothing more

  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(http_get(server.port(), "/healthz").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 250ms);  // not behind the stalled client

  EXPECT_TRUE(stalled.closed_by_peer_within(5s));
  EXPECT_TRUE(eventually([&] { return server.stats().timed_out_connections == 1; }));
}

TEST(AdminServer, ConnectionsBeyondTheLimitAreRefusedWith503AndCounted) {
  AdminServer server(ephemeral({.max_connections = 2}));
  server.start();
  auto first = std::make_unique<RawConnection>(server.port());
  auto second = std::make_unique<RawConnection>(server.port());
  ASSERT_TRUE(eventually([&] { return server.stats().open_connections == 2; }));

  const auto refused = http_get(server.port(), "/healthz");
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.headers.at("retry-after"), "1");
  EXPECT_EQ(server.stats().rejected_connections, 1u);

  first.reset();
  second.reset();
  ASSERT_TRUE(eventually([&] { return server.stats().open_connections == 0; }));
  EXPECT_EQ(http_get(server.port(), "/healthz").status, 200);
}

TEST(AdminServer, AnOversizedRequestGets413) {
  AdminServer server(ephemeral({.max_request_bytes = 1024}));
  server.route("/ingest", [](const AdminRequest& r) {
    return AdminResponse{.body = std::to_string(r.body.size())};
  });
  server.start();
  EXPECT_EQ(http_request(server.port(), "POST", "/ingest", {}, std::string(4096, 'x')).status, 413);
  EXPECT_EQ(http_request(server.port(), "POST", "/ingest", {}, std::string(512, 'x')).body, "512");
}

// The server refuses as soon as the headers announce too much, while the client is still
// uploading. Closing then would reset the connection under the client's send and could destroy
// the answer: the whole upload must go through and the 413 must be read, every time.
TEST(AdminServer, AClientStillUploadingPastTheLimitReadsItsWhole413) {
  AdminServer server(ephemeral({.max_request_bytes = 1024}));
  server.start();
  const std::string upload(4 << 20, 'x');
  for (int i = 0; i < 10; ++i) {
    RawConnection connection(server.port());
    connection.send("POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                    std::to_string(upload.size()) + "\r\n\r\n");
    ASSERT_NO_THROW(connection.send(upload)) << "attempt " << i;
    EXPECT_EQ(lumen::testing::parse_http_reply(connection.read_until_closed(5s)).status, 413);
  }
  EXPECT_EQ(http_get(server.port(), "/healthz").status, 200);
}

// curl, and most clients, send "Expect: 100-continue" before a large body and wait (curl: 1 s) for
// the 100 before sending it; a server that never answers it costs every upload that second.
TEST(AdminServer, AnUploadThatExpects100ContinueGetsItBeforeSendingTheBody) {
  AdminServer server(ephemeral({.max_request_bytes = 8 << 20}));
  server.route("/ingest", [](const AdminRequest& r) {
    return AdminResponse{.body = std::to_string(r.body.size())};
  });
  server.start();
  const std::string upload(2 << 20, 'x');
  RawConnection connection(server.port());
  connection.send(
      "POST /ingest HTTP/1.1\r\nHost: x\r\nConnection: close\r\nExpect: 100-continue\r\n"
      "Content-Length: " +
      std::to_string(upload.size()) + "\r\n\r\n");
  const std::string interim = connection.read_until("\r\n\r\n", 3s);
  // The body is sent only after the 100: without it this read gives up after 3 s, empty.
  EXPECT_EQ(interim, "HTTP/1.1 100 Continue\r\n\r\n");
  connection.send(upload);
  const auto reply = lumen::testing::parse_http_reply(connection.read_until_closed(5s));
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, std::to_string(upload.size()));
}

TEST(AdminServer, AnExpectationIsRefusedBeforeTheBodyWhenTooLargeOrUnknown) {
  AdminServer server(ephemeral({.max_request_bytes = 1024}));
  server.start();
  {
    RawConnection connection(server.port());
    connection.send(
        "POST /ingest HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4096\r\n\r\n");
    const std::string answer = connection.read_until_closed(3s);
    EXPECT_EQ(answer.find("100 Continue"), std::string::npos);
    EXPECT_EQ(lumen::testing::parse_http_reply(answer).status, 413);
  }
  {
    RawConnection connection(server.port());
    connection.send(
        "POST /ingest HTTP/1.1\r\nHost: x\r\nExpect: a-miracle\r\nContent-Length: 10\r\n\r\n");
    EXPECT_EQ(lumen::testing::parse_http_reply(connection.read_until_closed(3s)).status, 417);
  }
  EXPECT_EQ(http_get(server.port(), "/healthz").status, 200);
}

TEST(AdminServer, HeadersOverTheLimitGet431NotTheBodys413) {
  AdminServer server(ephemeral());
  server.start();
  RawConnection connection(server.port());
  connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: " + std::string(32 * 1024, 'p') +
                  "\r\n\r\n");
  EXPECT_EQ(lumen::testing::parse_http_reply(connection.read_until_closed(3s)).status, 431);
  EXPECT_EQ(server.stats().refused_requests, 1u);
}

// A request the parser cannot make sense of is answered 400 before the connection closes, so the
// client learns what went wrong instead of seeing a bare close.
TEST(AdminServer, AMalformedRequestLineOrConflictingContentLengthGets400) {
  AdminServer server(ephemeral());
  server.route("/ingest", [](const AdminRequest& r) { return AdminResponse{.body = r.body}; });
  server.start();
  for (const std::string& request :
       {std::string("\x01\x02 garbage\r\n\r\n"), std::string("GET\r\n\r\n"),
        std::string("POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: "
                    "6\r\n\r\nhello!"),
        std::string("POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: five\r\n\r\nhello")}) {
    RawConnection connection(server.port());
    connection.send(request);
    EXPECT_EQ(lumen::testing::parse_http_reply(connection.read_until_closed(3s)).status, 400)
        << request;
  }
  EXPECT_EQ(server.stats().refused_requests, 4u);
  EXPECT_EQ(http_request(server.port(), "POST", "/ingest", {}, "hello").body, "hello");
}

// What the HTTP layer turns away never reaches a handler, so only the server can count it: the
// counts are on /metrics by reason, one series per server port.
TEST(AdminServer, RejectionsAreExportedOnMetricsByReason) {
  metrics::MeterProvider provider;
  // The two idle connections below must outlive the time it takes to open them and a third:
  // a loaded machine took longer than 300 ms.
  AdminServer server(ephemeral({.max_connections = 2,
                                .read_timeout = 1s,
                                .max_request_bytes = 1024,
                                .meter_provider = &provider}));
  server.route("/metrics", metrics_handler(provider));
  server.route("/boom",
               [](const AdminRequest&) -> AdminResponse { throw std::runtime_error("boom"); });
  server.start();
  const std::uint16_t port = server.port();
  EXPECT_EQ(http_request(port, "POST", "/ingest", {}, std::string(4096, 'x')).status, 413);
  EXPECT_EQ(http_get(port, "/healthz", {{"X-Padding", std::string(32 * 1024, 'p')}}).status, 431);
  EXPECT_EQ(http_get(port, "/boom").status, 500);
  {
    RawConnection garbage(port);
    garbage.send("\x01\x02 garbage\r\n\r\n");
    EXPECT_EQ(lumen::testing::parse_http_reply(garbage.read_until_closed(3s)).status, 400);
  }
  {
    RawConnection stalled(port);
    stalled.send("GET /metr");
    EXPECT_TRUE(stalled.closed_by_peer_within(5s));
  }
  {
    RawConnection first(port);
    RawConnection second(port);
    ASSERT_TRUE(eventually([&] { return server.stats().open_connections == 2; }));
    EXPECT_EQ(http_get(port, "/healthz").status, 503);
  }
  ASSERT_TRUE(eventually([&] { return server.stats().open_connections == 0; }));

  const std::string scrape = http_get(port, "/metrics").body;
  const std::string labels = "server_port=\"" + std::to_string(port) + "\"";
  for (const char* reason : {"body_too_large", "header_too_large", "handler_error", "bad_request",
                             "read_timeout", "connection_limit"}) {
    const std::string series = std::string("lumen_http_server_rejections_total{reason=\"") +
                               reason + "\"," + labels + "} 1";
    EXPECT_NE(scrape.find(series), std::string::npos) << series << " missing from\n" << scrape;
  }
  EXPECT_NE(
      scrape.find("lumen_http_server_rejections_total{reason=\"write_timeout\"," + labels + "} 0"),
      std::string::npos);
}

TEST(AdminServer, KeepAliveAnswersSeveralRequestsOnOneConnection) {
  AdminServer server(ephemeral());
  server.start();
  RawConnection connection(server.port());
  connection.send(
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n"
      "Connection: close\r\n\r\n");
  const std::string raw = connection.read_until_closed(5s);
  const auto first = raw.find("HTTP/1.1 200");
  ASSERT_NE(first, std::string::npos) << raw;
  EXPECT_NE(raw.find("HTTP/1.1 200", first + 1), std::string::npos) << raw;
}

TEST(AdminServer, APortInUseIsAClearErrorNamingTheVariable) {
  AdminServer first(ephemeral());
  first.start();
  AdminServer second({.port = first.port()});
  try {
    second.start();
    FAIL() << "expected lumen::Error";
  } catch (const lumen::Error& e) {
    EXPECT_NE(std::string(e.what()).find("METRICS_PORT"), std::string::npos) << e.what();
  }
}

TEST(AdminServer, StopClosesOpenConnectionsAndReturns) {
  AdminServer server(ephemeral());
  server.start();
  RawConnection idle(server.port());
  ASSERT_TRUE(eventually([&] { return server.stats().open_connections == 1; }));
  server.stop();
  EXPECT_TRUE(idle.closed_by_peer_within(2s));
  server.stop();  // idempotent
}

// Two connections meet inside a handler, each of which waits for the other: with one I/O thread the
// first would hold it and the second never arrive. Connections are dealt to the loops in turn, so
// two connections accepted one after the other are served by different threads.
TEST(AdminServer, WithTwoIoThreadsTwoClientsAreServedAtOnceOnDifferentThreads) {
  AdminServer server(ephemeral({.io_threads = 2}));
  std::mutex mutex;
  std::condition_variable arrived;
  int inside = 0;
  std::set<std::thread::id> threads;
  server.route("/meet", [&](const AdminRequest&) {
    std::unique_lock lock(mutex);
    ++inside;
    threads.insert(std::this_thread::get_id());
    arrived.notify_all();
    const bool met = arrived.wait_for(lock, 10s, [&] { return inside >= 2; });
    return AdminResponse{.body = met ? "met" : "alone"};
  });
  server.start();
  RawConnection first(server.port());
  ASSERT_TRUE(eventually([&] { return server.stats().open_connections == 1; }));
  RawConnection second(server.port());
  ASSERT_TRUE(eventually([&] { return server.stats().open_connections == 2; }));
  const std::string request = "GET /meet HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  first.send(request);
  second.send(request);
  EXPECT_NE(first.read_until_closed(20s).find("\r\n\r\nmet"), std::string::npos);
  EXPECT_NE(second.read_until_closed(20s).find("\r\n\r\nmet"), std::string::npos);
  std::lock_guard lock(mutex);
  EXPECT_EQ(threads.size(), 2u);
}

TEST(AdminServer, WithSeveralIoThreadsTheLimitIsTheServersAndStopClosesEveryLoop) {
  AdminServer server(ephemeral({.max_connections = 3, .io_threads = 2}));
  server.start();
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 3; ++i) idle.push_back(std::make_unique<RawConnection>(server.port()));
  ASSERT_TRUE(eventually([&] { return server.stats().open_connections == 3; }));
  RawConnection over(server.port());
  EXPECT_NE(over.read_until_closed(5s).find("503"), std::string::npos);
  EXPECT_EQ(server.stats().rejected_connections, 1u);
  server.stop();
  for (auto& connection : idle) EXPECT_TRUE(connection->closed_by_peer_within(2s));
  EXPECT_EQ(server.stats().open_connections, 0u);
}

}  // namespace
}  // namespace lumen::admin

namespace lumen {
namespace {

TEST(RuntimeAdmin, TheRuntimeServesItsOwnMetersWhenEnabled) {
  Config config;
  config.admin = {.enabled = true, .port = 0};
  // An exporter besides the embedded store: spans then go through the batch processor, whose
  // exports are timed.
  config.trace.custom_exporters.push_back(std::make_shared<exporters::InMemorySpanExporter>());
  Runtime rt(std::move(config));
  ASSERT_NE(rt.admin(), nullptr);
  auto hits = rt.meter_provider().meter("beautifyai").create_counter<std::int64_t>("cache.hits");
  hits.add(4);
  { auto span = rt.tracer().start("counted"); }
  rt.logger().info("counted too");
  ASSERT_TRUE(rt.flush(std::chrono::seconds(5)));
  const auto reply = lumen::testing::http_get(rt.admin()->port(), "/metrics");
  EXPECT_EQ(reply.status, 200);
  EXPECT_NE(reply.body.find("cache_hits_total 4"), std::string::npos) << reply.body;
  // lumen's own health next to the application's metrics
  EXPECT_NE(reply.body.find("lumen_spans_exported_total 1"), std::string::npos) << reply.body;
  EXPECT_NE(reply.body.find("lumen_spans_dropped_total 0"), std::string::npos);
  EXPECT_NE(reply.body.find(R"(lumen_span_export_duration_seconds_count{result="success"} 1)"),
            std::string::npos)
      << reply.body;
  EXPECT_NE(reply.body.find("lumen_log_records_written_total 1"), std::string::npos);
  EXPECT_NE(reply.body.find("lumen_log_records_dropped_total 0"), std::string::npos);
  EXPECT_TRUE(rt.shutdown(std::chrono::seconds(2)));
  EXPECT_THROW((void)lumen::testing::http_get(rt.admin()->port(), "/healthz"), std::runtime_error);
}

// With the embedded store alone, each span is kept as it ends: counted as exported at once, with
// no export to time.
TEST(RuntimeAdmin, TheEmbeddedStoreAloneCountsEachSpanAsItEnds) {
  Config config;
  config.admin = {.enabled = true, .port = 0};
  Runtime rt(std::move(config));
  ASSERT_NE(rt.admin(), nullptr);
  { auto span = rt.tracer().start("counted"); }
  { auto span = rt.tracer().start("counted too"); }
  const auto reply = lumen::testing::http_get(rt.admin()->port(), "/metrics");
  EXPECT_EQ(reply.status, 200);
  EXPECT_NE(reply.body.find("lumen_spans_exported_total 2"), std::string::npos) << reply.body;
  EXPECT_NE(reply.body.find("lumen_spans_dropped_total 0"), std::string::npos);
  EXPECT_NE(reply.body.find("lumen_spans_export_failed_total 0"), std::string::npos);
  EXPECT_EQ(reply.body.find("lumen_span_export_duration"), std::string::npos) << reply.body;
}

TEST(RuntimeAdmin, NoPortIsOpenedUnlessAskedFor) {
  Runtime rt{Config{}};
  EXPECT_EQ(rt.admin(), nullptr);
}

}  // namespace
}  // namespace lumen

namespace lumen::admin {
namespace {

TEST(AdminServer, ADelayedAnswerDoesNotHoldUpOtherClients) {
  AdminServer server({.port = 0});
  server.route("/slow", [](const AdminRequest&) {
    return AdminResponse{.body = "late", .delay = std::chrono::milliseconds(400)};
  });
  server.start();
  const auto start = std::chrono::steady_clock::now();
  std::thread slow(
      [&] { EXPECT_EQ(lumen::testing::http_get(server.port(), "/slow").body, "late"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the slow request is in flight
  EXPECT_EQ(lumen::testing::http_get(server.port(), "/healthz").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(350));
  slow.join();
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(400));
}

}  // namespace
}  // namespace lumen::admin

namespace lumen::admin {
namespace {

TEST(AdminServer, AnAsyncHandlerAnswersFromAnotherThreadWhileOthersAreServed) {
  AdminServer server({.port = 0});
  std::vector<std::thread> workers;
  std::mutex workers_mutex;
  server.route_async("/work", [&](AdminRequest request, AdminResponder respond) {
    std::lock_guard lock(workers_mutex);
    workers.emplace_back([request = std::move(request), respond = std::move(respond)] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      respond({.body = "done:" + request.body + ":" + std::string(request.header("x-user"))});
    });
  });
  server.start();
  std::thread client([&] {
    const auto reply =
        lumen::testing::http_request(server.port(), "POST", "/work", {{"X-User", "u1"}}, "doc");
    EXPECT_EQ(reply.status, 200);
    EXPECT_EQ(reply.body, "done:doc:u1");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(lumen::testing::http_get(server.port(), "/healthz").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200));
  client.join();
  std::lock_guard lock(workers_mutex);
  for (auto& w : workers) w.join();
}

TEST(AdminServer, AResponderDroppedWithoutAnAnswerGives500AndIsCounted) {
  AdminServer server({.port = 0});
  server.route_async("/lost", [](AdminRequest, AdminResponder respond) {
    std::thread([r = std::move(respond)] {}).detach();  // the responder dies unused
  });
  server.start();
  const auto reply = lumen::testing::http_get(server.port(), "/lost");
  EXPECT_EQ(reply.status, 500);
  EXPECT_EQ(server.stats().abandoned_responses, 1u);
}

TEST(AdminServer, ASecondAnswerIsIgnoredAndTheConnectionStaysUsable) {
  AdminServer server({.port = 0});
  server.route_async("/twice", [](AdminRequest, AdminResponder respond) {
    respond({.body = "first"});
    respond({.status = 500, .body = "second"});
  });
  server.start();
  lumen::testing::RawConnection connection(server.port());
  connection.send(
      "GET /twice HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: "
      "close\r\n\r\n");
  const std::string raw = connection.read_until_closed(std::chrono::seconds(5));
  EXPECT_NE(raw.find("first"), std::string::npos);
  EXPECT_EQ(raw.find("second"), std::string::npos);
  EXPECT_NE(raw.find("ok\n"), std::string::npos);
}

TEST(AdminServer, PrefixRoutesTakeEveryPathUnderThemAndExactRoutesWin) {
  AdminServer server({.port = 0});
  server.route("/v1/jobs/*",
               [](const AdminRequest& r) { return AdminResponse{.body = "job " + r.path}; });
  server.route("/v1/*", [](const AdminRequest&) { return AdminResponse{.body = "v1"}; });
  server.route("/v1/jobs/special",
               [](const AdminRequest&) { return AdminResponse{.body = "exact"}; });
  server.start();
  EXPECT_EQ(lumen::testing::http_get(server.port(), "/v1/jobs/42").body, "job /v1/jobs/42");
  EXPECT_EQ(lumen::testing::http_get(server.port(), "/v1/jobs/special").body, "exact");
  EXPECT_EQ(lumen::testing::http_get(server.port(), "/v1/other").body, "v1");
  EXPECT_EQ(lumen::testing::http_get(server.port(), "/v2/jobs/42").status, 404);
}

}  // namespace
}  // namespace lumen::admin
