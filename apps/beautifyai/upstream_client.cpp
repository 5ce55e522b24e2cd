#include "upstream_client.hpp"

#include <curl/curl.h>

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "lumen/core/context.hpp"
#include "lumen/perf/resource_pool.hpp"
#include "lumen/trace/tracer.hpp"

namespace beautifyai {
namespace {

using json = nlohmann::json;

// One keep-alive connection: libcurl reuses the handle's connection from call to call.
class Connection {
 public:
  Connection() : handle_(curl_easy_init()) {
    if (handle_ == nullptr)
      throw UpstreamError(503, std::chrono::seconds(1), "cannot create a curl handle");
  }
  ~Connection() { curl_easy_cleanup(handle_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  [[nodiscard]] CURL* get() const noexcept { return handle_; }

 private:
  CURL* handle_;
};

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

std::size_t read_header(char* data, std::size_t size, std::size_t count, void* out) {
  std::string_view line(data, size * count);
  constexpr std::string_view kRetryAfter = "retry-after:";
  if (line.size() > kRetryAfter.size()) {
    bool match = true;
    for (std::size_t i = 0; i < kRetryAfter.size() && match; ++i) {
      match =
          static_cast<char>(std::tolower(static_cast<unsigned char>(line[i]))) == kRetryAfter[i];
    }
    if (match)
      *static_cast<long*>(out) =
          std::strtol(std::string(line.substr(kRetryAfter.size())).c_str(), nullptr, 10);
  }
  return size * count;
}

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string error_message(const std::string& body, int status) {
  const json parsed = json::parse(body, nullptr, false);
  if (parsed.is_object() && parsed.contains("error") && parsed["error"].is_string()) {
    return "upstream answered " + std::to_string(status) + ": " +
           parsed["error"].get<std::string>();
  }
  return "upstream answered " + std::to_string(status);
}

}  // namespace

struct UpstreamClient::Impl {
  explicit Impl(UpstreamOptions o)
      : options(std::move(o)),
        pool([] { return Connection(); }, {.name = "upstream",
                                           .max_size = options.connections,
                                           .acquire_timeout = options.acquire_timeout,
                                           .meter = options.meter}) {}

  const UpstreamOptions options;
  lumen::perf::ResourcePool<Connection> pool;
  std::atomic<std::uint64_t> calls{0};
  std::atomic<std::uint64_t> inputs{0};
  std::atomic<std::uint64_t> bytes_sent{0};
  std::atomic<std::uint64_t> failures{0};

  lumen::perf::ResourcePool<Connection>::Lease acquire() {
    try {
      return pool.acquire();
    } catch (const lumen::perf::PoolTimeout&) {
      failures.fetch_add(1);
      throw UpstreamError(503, std::chrono::seconds(1), "no upstream connection free in time");
    }
  }

  // On `reserved` when given, else on a connection acquired for this call alone.
  std::vector<ModelAnswer> call(const std::string& model, const std::vector<std::string>& items,
                                lumen::trace::Span& span,
                                lumen::perf::ResourcePool<Connection>::Lease* reserved);
  std::vector<ModelAnswer> traced_call(const std::string& model,
                                       const std::vector<std::string>& items,
                                       lumen::perf::ResourcePool<Connection>::Lease* reserved);
};

struct UpstreamClient::Reservation::Held {
  lumen::perf::ResourcePool<Connection>::Lease lease;
};

UpstreamClient::Reservation::Reservation(std::unique_ptr<Held> held) : held_(std::move(held)) {}
UpstreamClient::Reservation::Reservation(Reservation&&) noexcept = default;
UpstreamClient::Reservation& UpstreamClient::Reservation::operator=(Reservation&&) noexcept =
    default;
UpstreamClient::Reservation::~Reservation() = default;

UpstreamClient::UpstreamClient(UpstreamOptions options) : impl_(nullptr) {
  init_curl_once();
  impl_ = std::make_unique<Impl>(std::move(options));
}

UpstreamClient::~UpstreamClient() = default;

UpstreamClient::Reservation UpstreamClient::reserve() {
  return Reservation(std::make_unique<Reservation::Held>(Reservation::Held{impl_->acquire()}));
}

std::vector<ModelAnswer> UpstreamClient::call(const std::string& model,
                                              const std::vector<std::string>& inputs) {
  return impl_->traced_call(model, inputs, nullptr);
}

std::vector<ModelAnswer> UpstreamClient::call(Reservation& connection, const std::string& model,
                                              const std::vector<std::string>& inputs) {
  return impl_->traced_call(model, inputs, &connection.held_->lease);
}

std::vector<ModelAnswer> UpstreamClient::Impl::traced_call(
    const std::string& model, const std::vector<std::string>& items,
    lumen::perf::ResourcePool<Connection>::Lease* reserved) {
  if (options.tracer == nullptr) {
    lumen::trace::Span none;
    return call(model, items, none, reserved);
  }
  lumen::trace::StartOptions start{.kind = lumen::trace::SpanKind::kClient};
  lumen::trace::Span span = options.tracer->start("ai.upstream.call", start);
  span.set("ai.model", model).set("ai.batch_size", static_cast<std::int64_t>(items.size()));
  auto scope = span.activate();
  try {
    auto answers = call(model, items, span, reserved);
    span.set_status(lumen::trace::StatusCode::kOk);
    return answers;
  } catch (const std::exception& e) {
    span.record_exception(e);
    span.set_status(lumen::trace::StatusCode::kError, e.what());
    throw;
  }
}

std::vector<ModelAnswer> UpstreamClient::Impl::call(
    const std::string& model, const std::vector<std::string>& items, lumen::trace::Span& span,
    lumen::perf::ResourcePool<Connection>::Lease* reserved) {
  const bool batch = items.size() > 1;
  json body;
  if (batch) {
    body["inputs"] = items;
  } else {
    body["input"] = items.at(0);
  }
  const std::string payload = body.dump();
  const std::string url =
      options.base_url + (batch ? "/v1/batch?model=" : "/v1/generate?model=") + model;

  std::map<std::string, std::string> carrier;
  options.propagator.inject(lumen::Context::current(), carrier);
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  // libcurl would add "Expect: 100-continue" to a body over 1 MB (a document with images) and wait
  // up to a second for the 100 if the model's server does not send one: an empty Expect: removes
  // it.
  headers = curl_slist_append(headers, "Expect:");
  for (const auto& [name, value] : carrier) {
    std::string line = name + ": ";
    line += value;
    headers = curl_slist_append(headers, line.c_str());
  }

  std::string reply;
  long retry_after = 0;
  long status = 0;
  CURLcode code = CURLE_OK;
  {
    lumen::perf::ResourcePool<Connection>::Lease own;
    if (reserved == nullptr) {
      try {
        own = acquire();
      } catch (const UpstreamError&) {
        curl_slist_free_all(headers);
        throw;
      }
    }
    lumen::perf::ResourcePool<Connection>::Lease& connection =
        reserved != nullptr ? *reserved : own;
    CURL* h = connection->get();
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload.size()));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, append_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, read_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &retry_after);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options.connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options.request_timeout.count()));
    code = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (code != CURLE_OK) connection.mark_broken();
  }
  curl_slist_free_all(headers);
  calls.fetch_add(1);
  inputs.fetch_add(items.size());
  bytes_sent.fetch_add(payload.size());
  span.set("http.response.status_code", static_cast<std::int64_t>(status));

  if (code != CURLE_OK) {
    failures.fetch_add(1);
    throw UpstreamError(0, std::chrono::seconds(0),
                        std::string("upstream unreachable: ") + curl_easy_strerror(code));
  }
  if (status != 200) {
    failures.fetch_add(1);
    throw UpstreamError(static_cast<int>(status), std::chrono::seconds(retry_after),
                        error_message(reply, static_cast<int>(status)));
  }
  const json parsed = json::parse(reply, nullptr, false);
  auto to_answer = [](const json& r) {
    return ModelAnswer{r.value("output", std::string()), r.value("input_tokens", std::int64_t{0}),
                       r.value("output_tokens", std::int64_t{0})};
  };
  std::vector<ModelAnswer> answers;
  if (batch && parsed.is_object() && parsed.contains("results") && parsed["results"].is_array()) {
    for (const auto& r : parsed["results"]) answers.push_back(to_answer(r));
  } else if (!batch && parsed.is_object()) {
    answers.push_back(to_answer(parsed));
  }
  if (answers.size() != items.size()) {
    failures.fetch_add(1);
    throw UpstreamError(502, std::chrono::seconds(0), "upstream answered with a malformed body");
  }
  return answers;
}

UpstreamStats UpstreamClient::stats() const {
  return {impl_->calls.load(), impl_->inputs.load(), impl_->bytes_sent.load(),
          impl_->failures.load()};
}

}  // namespace beautifyai
