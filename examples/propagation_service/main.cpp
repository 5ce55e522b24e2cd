// A service for the W3C trace-context test harness (github.com/w3c/trace-context, folder test/):
// the harness sends POST /test with a JSON array of {"url": ..., "arguments": ...}; for each
// element the service POSTs `arguments`, as JSON, to `url`, continuing the incoming trace. Each
// request is a server span started inside the caller's context, and each call a client span whose
// context goes out in the headers of the Runtime's propagator (OTEL_PROPAGATORS; by default
// traceparent, tracestate and baggage).
//
//   build/examples/propagation_service --port 5000        # then, from the harness's test/ folder:
//   STRICT_LEVEL=1 python test.py http://127.0.0.1:5000/test
//   OTEL_PROPAGATORS=b3multi build/examples/propagation_service --port 5000   # any format
//
// Run the harness with STRICT_LEVEL=1: its strict tests (STRICT_LEVEL=2, the default, in the
// harness version this was written against) expect the whole tracestate discarded for a repeated
// key, 33 members, or keys such as "foo@" and 242-character tenants, as the 2020 text had it; the
// current Recommendation, which lumen follows, keeps the first of a repeated key, cuts the list to
// 32 members, and allows those keys.
//
// It prints "listening on http://HOST:PORT/test" once it accepts requests (--port 0 picks a free
// port) and stops on SIGINT or SIGTERM. At most 32 requests are handled at once (the harness nests
// calls, also back to this service); more are answered 503.
#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include "lumen/admin/admin_server.hpp"
#include "lumen/core/error.hpp"
#include "lumen/runtime.hpp"
#include "lumen/trace/propagator.hpp"

namespace {

constexpr int kMaxRequestsAtOnce = 32;
constexpr long kCallTimeoutMs = 10'000;

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 5000;
};

// POSTs `body` as JSON to `url` with the propagation headers; the HTTP status, 0 if none came.
long post_json(const std::string& url, const std::string& body,
               const std::vector<std::pair<std::string, std::string>>& headers) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return 0;
  curl_slist* list = curl_slist_append(nullptr, "Content-Type: application/json");
  for (const auto& [name, value] : headers) {
    std::string line = name + ": ";
    line += value;
    list = curl_slist_append(list, line.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, kCallTimeoutMs);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION,
      +[](char*, size_t size, size_t count, void*) { return size * count; });
  long status = 0;
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  return status;
}

// The requests being handled, each on its own thread (a call may come back to this service, so
// the server's I/O thread must never wait on one), bounded, and waited for at shutdown.
class RequestThreads {
 public:
  // False when kMaxRequestsAtOnce are running: the caller answers 503.
  bool try_run(std::function<void()> work) {
    {
      std::lock_guard lock(mutex_);
      if (running_ == kMaxRequestsAtOnce) return false;
      ++running_;
    }
    std::thread([this, work = std::move(work)] {
      work();
      std::lock_guard lock(mutex_);
      --running_;
      idle_.notify_all();
    }).detach();
    return true;
  }

  // The threads touch the Runtime: it must outlive them.
  bool wait_idle(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return idle_.wait_for(lock, timeout, [&] { return running_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable idle_;
  int running_ = 0;  // guarded by mutex_
};

lumen::admin::AdminResponse answer(unsigned status, std::string body) {
  return {.status = status, .content_type = "application/json", .body = std::move(body)};
}

lumen::admin::AdminResponse handle_test(lumen::Runtime& rt,
                                        const lumen::admin::AdminRequest& request) {
  const lumen::propagation::Propagator& propagator = rt.propagator();
  lumen::trace::Tracer& tracer = rt.tracer();
  // The caller's context (its span as the remote parent, and its baggage) is current while the
  // server span starts, so the calls below carry both on.
  auto request_scope = propagator.extract(request.headers).activate();
  lumen::trace::Span server = tracer.start("POST /test", {.kind = lumen::trace::SpanKind::kServer});
  auto server_scope = server.activate();

  const nlohmann::json calls =
      nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (!calls.is_array()) {
    server.set("http.response.status_code", 400);
    return answer(400, R"({"error":"the body must be a JSON array of {\"url\", \"arguments\"}"})");
  }
  for (const nlohmann::json& call : calls) {
    if (!call.is_object() || !call.contains("url") || !call["url"].is_string()) continue;
    const std::string url = call["url"].get<std::string>();
    const std::string arguments = call.contains("arguments") ? call["arguments"].dump() : "[]";
    lumen::trace::Span client = tracer.start("POST", {.kind = lumen::trace::SpanKind::kClient});
    auto client_scope = client.activate();
    std::vector<std::pair<std::string, std::string>> headers;
    propagator.inject(lumen::Context::current(), headers);
    const long status = post_json(url, arguments, headers);
    client.set("url.full", url).set("http.response.status_code", static_cast<std::int64_t>(status));
  }
  server.set("http.response.status_code", 200);
  return answer(200, "{}");
}

bool parse_options(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--port" || arg == "--host") && i + 1 < argc) {
      const std::string value = argv[++i];
      if (arg == "--host") {
        options.host = value;
        continue;
      }
      char* end = nullptr;
      const unsigned long port = std::strtoul(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || port > 65535) return false;
      options.port = static_cast<std::uint16_t>(port);
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse_options(argc, argv, options)) {
    std::cerr << "usage: propagation_service [--host 127.0.0.1] [--port 5000]\n";
    return 2;
  }
  // Blocked before any thread starts, so that every thread leaves them to sigwait below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  curl_global_init(CURL_GLOBAL_DEFAULT);

  try {
    lumen::Runtime rt(
        lumen::Config::from_env(lumen::Environment::process(), "propagation-service"));
    RequestThreads threads;
    lumen::admin::AdminServer server({.host = options.host, .port = options.port});
    server.route_async("/test", [&](lumen::admin::AdminRequest request,
                                    const lumen::admin::AdminResponder& respond) {
      if (request.method != "POST") return respond(answer(405, R"({"error":"POST only"})"));
      auto work = [&rt, request = std::move(request), respond]() mutable {
        respond(handle_test(rt, request));
      };
      if (!threads.try_run(std::move(work))) respond(answer(503, R"({"error":"busy"})"));
    });
    server.start();
    std::printf("listening on http://%s:%u/test\n", options.host.c_str(),
                static_cast<unsigned>(server.port()));
    std::fflush(stdout);
    int signal = 0;
    sigwait(&stop_signals, &signal);
    // No new request comes in; those running finish their calls (each within its timeout), and
    // their answers go nowhere.
    server.stop();
    (void)threads.wait_idle(std::chrono::milliseconds(kCallTimeoutMs + 1000));
    return rt.shutdown(std::chrono::seconds(5)) ? 0 : 1;
  } catch (const lumen::Error& e) {
    std::cerr << "propagation_service: " << e.what() << '\n';
    return 2;
  }
}
