#include "export/http_sender.hpp"

#include <curl/curl.h>
#include <zlib.h>

#include <algorithm>
#include <climits>
#include <condition_variable>
#include <ctime>
#include <mutex>

#include "core/ascii.hpp"
#include "core/id_generator.hpp"
#include "lumen/core/error.hpp"
#include "lumen/core/fork_safety.hpp"
#include "lumen/core/internal/mutex.hpp"
#include "lumen/export/curl_transport.hpp"

namespace lumen::exporters::detail {
namespace {

using std::chrono::milliseconds;

}  // namespace

bool gzip_compress(std::string_view in, std::string& out) {
  if (in.size() > UINT_MAX / 2) return false;
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return false;
  }
  out.resize(deflateBound(&zs, static_cast<uLong>(in.size())));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return rc == Z_STREAM_END;
}

namespace {

bool is_retryable_status(long status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

// The OTLP/HTTP rules: 2xx is delivered; 429, 502, 503 and 504 are retried after Retry-After or
// the backoff. A Retry-After date is read against `clock`'s wall time, the sender's own clock.
AttemptVerdict otlp_http_verdict(const HttpResponse& response, const Clock& clock) {
  AttemptVerdict v;
  v.delivered = response.status >= 200 && response.status < 300;
  if (v.delivered) return v;
  v.retryable = is_retryable_status(response.status);
  for (const auto& [name, value] : response.fields) {
    if (name == "retry-after") {
      v.retry_delay = parse_retry_after(
          value, std::chrono::system_clock::time_point(
                     std::chrono::duration_cast<std::chrono::system_clock::duration>(
                         std::chrono::nanoseconds(clock.wall_ns()))));
    }
  }
  v.error = "HTTP " + std::to_string(response.status);
  return v;
}

std::string describe(const HttpExchange& x, milliseconds timeout) {
  switch (x.error) {
    case TransportError::kAborted:
      return "aborted (the exporter is shutting down)";
    case TransportError::kTimedOut:
      return "no response within the export timeout (" + std::to_string(timeout.count()) + " ms)";
    case TransportError::kCannotConnect:
      return "cannot connect: " + x.error_text;
    default:
      return "transport error: " + x.error_text;
  }
}

}  // namespace

struct HttpSender::Impl final : ForkAware {
  HttpSenderOptions options;
  const Clock& clock;
  std::shared_ptr<HttpTransport> transport;
  std::atomic<bool> aborted{false};
  // Guards abort's wakeup of a wait between attempts; never held over I/O.
  lumen::internal::Mutex mutex;
  // Replaced in a forked child: a parent thread may have been waiting on it at fork time.
  std::unique_ptr<std::condition_variable> wakeup LUMEN_GUARDED_BY(mutex) =
      std::make_unique<std::condition_variable>();
  HttpHeaders fixed_headers;  // of every attempt
  std::string compressed;

  explicit Impl(HttpSenderOptions o)
      : options(std::move(o)),
        clock(clock_or_system(options.clock)),
        transport(options.transport != nullptr
                      ? options.transport
                      : make_curl_transport(
                            {.tls = options.tls, .http2 = options.http2, .clock = options.clock})) {
    fixed_headers.emplace_back("Content-Type", options.content_type);
    if (options.gzip) fixed_headers.emplace_back("Content-Encoding", "gzip");
    for (const auto& header : options.headers) fixed_headers.push_back(header);
    if (!options.judge) {
      options.judge = [&wall = clock](const HttpResponse& r) { return otlp_http_verdict(r, wall); };
    }
    ForkRegistry::add(this);
  }

  ~Impl() { ForkRegistry::remove(this); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void before_fork() noexcept override LUMEN_ACQUIRE(mutex) { mutex.lock(); }
  void after_fork_in_parent() noexcept override LUMEN_RELEASE(mutex) { mutex.unlock(); }
  void after_fork_in_child() noexcept override LUMEN_RELEASE(mutex) {
    (void)wakeup.release();  // leaked on purpose: its state may name the parent's waiters
    wakeup = std::make_unique<std::condition_variable>();
    mutex.unlock();
  }

  HttpExchange perform(const std::string& payload, Deadline deadline) {
    const auto left = std::chrono::ceil<milliseconds>(deadline - clock.now());
    HttpRequest request{.url = options.url, .body = payload, .deadline = deadline};
    request.headers = fixed_headers;
    if (options.attempt_headers) {
      for (auto& header : options.attempt_headers(std::max(left, milliseconds(1))))
        request.headers.push_back(std::move(header));
    }
    return transport->perform(request);
  }

  // Sleeps until `until` unless abort() is called; false if aborted.
  bool sleep_until(Clock::TimePoint until) {
    lumen::internal::UniqueLock lock(mutex);
    return !clock.wait_until(lock.native(), *wakeup, until, [this] { return aborted.load(); });
  }

  HttpSendResult send(const std::string& body, Deadline deadline) {
    HttpSendResult result;
    if (aborted.load()) {
      result.error = "aborted (the exporter is shutting down)";
      return result;
    }
    const std::string* payload = &body;
    if (options.gzip) {
      if (!gzip_compress(body, compressed)) {
        result.error = "gzip compression failed";
        return result;
      }
      payload = &compressed;
    }
    const auto total = std::chrono::ceil<milliseconds>(deadline - clock.now());
    for (int attempt = 1;; ++attempt) {
      if (clock.now() >= deadline) {
        if (result.error.empty())
          result.error = "the export deadline passed before the first attempt";
        return result;
      }
      HttpExchange x = perform(*payload, deadline);
      result.attempts = attempt;
      result.status = x.status;
      AttemptVerdict verdict;
      if (x.error == TransportError::kNone) {
        verdict = options.judge(HttpResponse{x.status, x.fields, x.body});
      } else {
        verdict.retryable = x.error == TransportError::kCannotConnect ||
                            x.error == TransportError::kConnectionFailed;
        verdict.error = describe(x, total);
      }
      result.response_body = std::move(x.body);
      if (verdict.delivered) {
        result.delivered = true;
        result.error.clear();
        return result;
      }
      std::string previous = std::move(result.error);
      result.error = std::move(verdict.error);
      // A last attempt cut short by the deadline says less than why the earlier ones failed.
      if (x.error == TransportError::kTimedOut && !previous.empty()) {
        result.error += " on attempt " + std::to_string(attempt) + "; before that: " + previous;
      }
      if (!verdict.retryable) return result;
      if (attempt >= options.max_attempts) {
        result.error = "gave up after " + std::to_string(attempt) + " attempts: " + result.error;
        return result;
      }
      const milliseconds delay = verdict.retry_delay.value_or(full_jitter_backoff(
          attempt, options.initial_backoff, options.max_backoff, IdGenerator::next_u64()));
      const auto wake = clock.now() + delay;
      if (wake >= deadline) {
        result.error += "; no time left for another attempt before the deadline (" +
                        std::to_string(attempt) + (attempt == 1 ? " attempt)" : " attempts)");
        return result;
      }
      if (!sleep_until(wake)) {
        result.error = "aborted (the exporter is shutting down) after: " + result.error;
        return result;
      }
    }
  }

  void abort() noexcept {
    aborted.store(true);
    transport->abort();
    lumen::internal::MutexLock lock(mutex);
    wakeup->notify_all();
  }
};

void check_endpoint_url(const std::string& url) {
  CURLU* parsed = curl_url();
  if (parsed == nullptr) throw std::bad_alloc();
  const CURLUcode code = curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0);
  curl_url_cleanup(parsed);
  if (code != CURLUE_OK) {
    throw Error("endpoint '" + url + "' is not a valid URL (" + curl_url_strerror(code) +
                "); fix the endpoint variable (OTEL_EXPORTER_*_ENDPOINT, JAEGER_ENDPOINT), e.g. "
                "http://localhost:4318");
  }
}

HttpSender::HttpSender(HttpSenderOptions options) {
  check_endpoint_url(options.url);
  impl_ = std::make_unique<Impl>(std::move(options));
}
HttpSender::~HttpSender() = default;

HttpSendResult HttpSender::send(const std::string& body, Deadline deadline) {
  try {
    return impl_->send(body, deadline);
  } catch (const std::exception& e) {  // out of memory while building strings
    HttpSendResult result;
    result.error = std::string("internal error: ") + e.what();
    return result;
  }
}

void HttpSender::abort() noexcept {
  impl_->abort();
}

std::optional<milliseconds> parse_retry_after(std::string_view value,
                                              std::chrono::system_clock::time_point now) {
  constexpr std::int64_t kMaxSeconds =
      std::int64_t{24} * 3600;  // nobody waits longer; avoids overflow
  value = ascii::trim_space(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    std::int64_t seconds = 0;
    for (char c : value) {
      seconds = std::min<std::int64_t>(kMaxSeconds, seconds * 10 + (c - '0'));
    }
    return milliseconds(seconds * 1000);
  }
  const std::string date(value);
  const std::time_t when = curl_getdate(date.c_str(), nullptr);
  if (when == -1) return std::nullopt;
  // Compared in seconds first: system_clock counts nanoseconds in 64 bits, so a date before 1678
  // or after 2262 (e.g. year 9999) would overflow on its way into a time_point.
  const std::int64_t now_seconds =
      std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count();
  if (when <= now_seconds) return milliseconds(0);
  if (when - now_seconds > kMaxSeconds) return milliseconds(kMaxSeconds * 1000);
  return std::chrono::ceil<milliseconds>(std::chrono::system_clock::from_time_t(when) - now);
}

milliseconds full_jitter_backoff(int retry, milliseconds initial, milliseconds max,
                                 std::uint64_t random) noexcept {
  std::int64_t cap = std::min(initial.count(), max.count());
  for (int i = 1; i < retry && cap < max.count(); ++i)
    cap = std::min<std::int64_t>(cap * 2, max.count());
  if (cap <= 0) return milliseconds(0);
  return milliseconds(static_cast<std::int64_t>(random % (static_cast<std::uint64_t>(cap) + 1)));
}

}  // namespace lumen::exporters::detail
