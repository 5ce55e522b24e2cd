#include "export/http_sender.hpp"

#include <curl/curl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <condition_variable>
#include <ctime>
#include <mutex>

#include "core/id_generator.hpp"
#include "lumen/core/error.hpp"
#include "lumen/core/fork_safety.hpp"
#include "lumen/core/internal/mutex.hpp"
#include "lumen/core/version.hpp"

namespace lumen::exporters::detail {
namespace {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

constexpr std::size_t kMaxResponseBody =
    std::size_t{64} * 1024;  // enough for any Status or partial success
// Response header and trailer fields kept per attempt, and the longest value kept: enough for
// gRPC's status details; a misbehaving server cannot grow memory.
constexpr std::size_t kMaxResponseFields = 64;
constexpr std::size_t kMaxFieldValue = std::size_t{8} * 1024;
// How long curl_multi_poll may sleep before we look at the deadline and the abort flag again;
// abort() also wakes it at once.
constexpr milliseconds kPollSlice{200};

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

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

// Transport failures worth another try: the collector may be restarting or briefly overloaded.
bool is_retryable_curl_error(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

struct Attempt {
  CURLcode code = CURLE_OK;
  long status = 0;
};

// The OTLP/HTTP rules: 2xx is delivered; 429, 502, 503 and 504 are retried after Retry-After or
// the backoff.
AttemptVerdict otlp_http_verdict(const HttpResponse& response) {
  AttemptVerdict v;
  v.delivered = response.status >= 200 && response.status < 300;
  if (v.delivered) return v;
  v.retryable = is_retryable_status(response.status);
  for (const auto& [name, value] : response.fields) {
    if (name == "retry-after")
      v.retry_delay = parse_retry_after(value, std::chrono::system_clock::now());
  }
  v.error = "HTTP " + std::to_string(response.status);
  return v;
}

}  // namespace

struct HttpSender::Impl final : ForkAware {
  HttpSenderOptions options;
  const Clock& clock;
  std::atomic<bool> aborted{false};
  // Guards the handles' replacement and abort's wakeup; never held over I/O.
  lumen::internal::Mutex mutex;
  // Replaced in a forked child: a parent thread may have been waiting on it at fork time.
  std::unique_ptr<std::condition_variable> wakeup LUMEN_GUARDED_BY(mutex) =
      std::make_unique<std::condition_variable>();
  CURL* easy = nullptr;
  CURLM* multi = nullptr;
  pid_t owner = 0;                        // the process that created the handles
  std::vector<std::string> header_lines;  // the fixed headers of every attempt
  curl_slist* attempt_headers =
      nullptr;  // header_lines plus options.attempt_headers' of this attempt
  std::string compressed;
  std::string response_body;
  HeaderList response_fields;
  char error_buffer[CURL_ERROR_SIZE] = {};

  explicit Impl(HttpSenderOptions o)
      : options(std::move(o)),
        clock(options.clock != nullptr ? *options.clock : SystemClock::instance()) {
    global_init_once();
    header_lines.push_back("Content-Type: " + options.content_type);
    if (options.gzip) header_lines.emplace_back("Content-Encoding: gzip");
    header_lines.emplace_back(
        "Expect:");  // no 100-continue round trip (curl waits up to a second for it)
    for (const auto& [name, value] : options.headers)
      header_lines.push_back(header_line(name, value));
    if (!options.judge) options.judge = otlp_http_verdict;
    ForkRegistry::add(this);
  }

  ~Impl() {
    ForkRegistry::remove(this);
    release_handles();
    curl_slist_free_all(attempt_headers);
  }

  // "Name;" is curl's way to send a header with an empty value.
  static std::string header_line(const std::string& name, const std::string& value) {
    return value.empty() ? name + ";" : name + ": " + value;
  }

  // Returns false when curl cannot allocate the list.
  bool build_attempt_headers(milliseconds left) {
    curl_slist_free_all(attempt_headers);
    attempt_headers = nullptr;
    std::vector<std::string> lines = header_lines;
    if (options.attempt_headers) {
      for (const auto& [name, value] : options.attempt_headers(left))
        lines.push_back(header_line(name, value));
    }
    for (const std::string& line : lines) {
      curl_slist* grown = curl_slist_append(attempt_headers, line.c_str());
      if (grown == nullptr) return false;
      attempt_headers = grown;
    }
    return true;
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void before_fork() noexcept override LUMEN_ACQUIRE(mutex) { mutex.lock(); }
  void after_fork_in_parent() noexcept override LUMEN_RELEASE(mutex) { mutex.unlock(); }
  void after_fork_in_child() noexcept override LUMEN_RELEASE(mutex) {
    (void)wakeup.release();  // leaked on purpose: its state may name the parent's waiters
    wakeup = std::make_unique<std::condition_variable>();
    mutex.unlock();
  }

  void release_handles() {
    // A child must not clean up handles it inherited: their connections' sockets are shared with
    // the parent (a TLS close_notify would break the parent's session). They are leaked instead.
    if (owner != getpid()) return;
    if (multi != nullptr && easy != nullptr) curl_multi_remove_handle(multi, easy);
    if (easy != nullptr) curl_easy_cleanup(easy);
    if (multi != nullptr) curl_multi_cleanup(multi);
  }

  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* self = static_cast<Impl*>(user);
    const std::size_t n = size * count;
    const std::size_t room =
        kMaxResponseBody - std::min(kMaxResponseBody, self->response_body.size());
    self->response_body.append(data, std::min(n, room));
    return n;
  }

  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto* self = static_cast<Impl*>(user);
    const std::size_t n = size * count;
    const std::string_view line(data, n);
    auto& fields = self->response_fields;
    if (iequals_prefix(line, "http/")) fields.clear();  // a new response (after a 1xx)
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0 || fields.size() >= kMaxResponseFields)
      return n;
    std::string name(trim(line.substr(0, colon)));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    fields.emplace_back(std::move(name),
                        std::string(trim(line.substr(colon + 1)).substr(0, kMaxFieldValue)));
    return n;
  }

  static int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<Impl*>(user)->aborted.load(std::memory_order_relaxed) ? 1 : 0;
  }

  // Creates the handles on first use and again in a forked child. Returns false if libcurl fails.
  bool ensure_handles() {
    lumen::internal::MutexLock lock(mutex);
    const pid_t pid = getpid();
    if (easy != nullptr && owner == pid) return true;
    easy = curl_easy_init();
    multi = curl_multi_init();
    owner = pid;
    if (easy == nullptr || multi == nullptr) {
      if (easy != nullptr) curl_easy_cleanup(easy);
      if (multi != nullptr) curl_multi_cleanup(multi);
      easy = nullptr;
      multi = nullptr;
      return false;
    }
    curl_easy_setopt(easy, CURLOPT_URL, options.url.c_str());
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    if (options.http2) {
      curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
      // Debian's libcurl 7.88 fails the second request on a reused h2c connection to a grpcio
      // server ("Error in the HTTP2 framing layer"): each request opens its own connection.
      curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L);
    }
    const std::string agent = std::string("lumen-cpp/") + kVersion;
    curl_easy_setopt(easy, CURLOPT_USERAGENT, agent.c_str());  // curl copies strings
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Impl::on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Impl::on_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, this);
    curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, &Impl::on_progress);
    curl_easy_setopt(easy, CURLOPT_XFERINFODATA, this);
    const TlsFiles& tls = options.tls;
    if (!tls.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, tls.ca_file.c_str());
    if (!tls.client_certificate.empty()) {
      curl_easy_setopt(easy, CURLOPT_SSLCERT, tls.client_certificate.c_str());
    }
    if (!tls.client_key.empty()) curl_easy_setopt(easy, CURLOPT_SSLKEY, tls.client_key.c_str());
    return true;
  }

  Attempt perform(const std::string& payload, Deadline deadline) {
    Attempt a;
    const auto left = std::chrono::ceil<milliseconds>(deadline - clock.now());
    const long timeout_ms = std::max<long>(1, static_cast<long>(left.count()));
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    if (!build_attempt_headers(milliseconds(timeout_ms))) {
      a.code = CURLE_OUT_OF_MEMORY;
      return a;
    }
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, attempt_headers);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, payload.data());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload.size()));
    response_body.clear();
    response_fields.clear();
    error_buffer[0] = '\0';

    if (curl_multi_add_handle(multi, easy) != CURLM_OK) {
      a.code = CURLE_FAILED_INIT;
      return a;
    }
    bool finished = false;
    for (;;) {
      int running = 0;
      if (curl_multi_perform(multi, &running) != CURLM_OK) {
        a.code = CURLE_FAILED_INIT;
        break;
      }
      if (running == 0) {
        finished = true;
        break;
      }
      if (aborted.load()) {
        a.code = CURLE_ABORTED_BY_CALLBACK;
        break;
      }
      const auto now = clock.now();
      if (now >= deadline) {
        a.code = CURLE_OPERATION_TIMEDOUT;
        break;
      }
      const auto wait = std::min(kPollSlice, std::chrono::ceil<milliseconds>(deadline - now));
      curl_multi_poll(multi, nullptr, 0, static_cast<int>(wait.count()), nullptr);
    }
    if (finished) {
      int queued = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
        if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy) a.code = msg->data.result;
      }
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &a.status);
    }
    // Removing an unfinished transfer closes its connection; a finished one stays cached.
    curl_multi_remove_handle(multi, easy);
    return a;
  }

  std::string describe(const Attempt& a, milliseconds timeout) const {
    if (a.code == CURLE_ABORTED_BY_CALLBACK) return "aborted (the exporter is shutting down)";
    if (a.code == CURLE_OPERATION_TIMEDOUT) {
      return "no response within the export timeout (" + std::to_string(timeout.count()) + " ms)";
    }
    std::string reason = a.code == CURLE_COULDNT_CONNECT ? "cannot connect" : "transport error";
    reason += ": ";
    reason += error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(a.code);
    return reason;
  }

  // Sleeps until `until` unless abort() is called; false if aborted.
  bool sleep_until(Steady::time_point until) {
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
    if (!ensure_handles()) {
      result.error = "libcurl could not be initialised";
      return result;
    }
    const auto total = std::chrono::ceil<milliseconds>(deadline - clock.now());
    for (int attempt = 1;; ++attempt) {
      if (clock.now() >= deadline) {
        if (result.error.empty())
          result.error = "the export deadline passed before the first attempt";
        return result;
      }
      const Attempt a = perform(*payload, deadline);
      result.attempts = attempt;
      result.status = a.status;
      result.response_body = response_body;
      AttemptVerdict verdict;
      if (a.code == CURLE_OK) {
        verdict = options.judge(HttpResponse{a.status, response_fields, response_body});
      } else {
        verdict.retryable = is_retryable_curl_error(a.code) && a.code != CURLE_OPERATION_TIMEDOUT;
        verdict.error = describe(a, total);
      }
      if (verdict.delivered) {
        result.delivered = true;
        result.error.clear();
        return result;
      }
      std::string previous = std::move(result.error);
      result.error = std::move(verdict.error);
      // A last attempt cut short by the deadline says less than why the earlier ones failed.
      if (a.code == CURLE_OPERATION_TIMEDOUT && !previous.empty()) {
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
    lumen::internal::MutexLock lock(mutex);
    if (multi != nullptr && owner == getpid()) curl_multi_wakeup(multi);
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
  value = trim(value);
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
