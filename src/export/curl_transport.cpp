#include "lumen/export/curl_transport.hpp"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/ascii.hpp"
#include "export/idle_pool.hpp"
#include "lumen/core/fork_safety.hpp"
#include "lumen/core/internal/mutex.hpp"
#include "lumen/core/version.hpp"

namespace lumen::exporters::detail {
namespace {

using std::chrono::milliseconds;

// Response header and trailer fields kept per exchange, and the longest value kept: enough for
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

TransportError classify(CURLcode code) {
  switch (code) {
    case CURLE_OK:
      return TransportError::kNone;
    case CURLE_COULDNT_CONNECT:
      return TransportError::kCannotConnect;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return TransportError::kConnectionFailed;
    case CURLE_OPERATION_TIMEDOUT:
      return TransportError::kTimedOut;
    case CURLE_ABORTED_BY_CALLBACK:
      return TransportError::kAborted;
    default:
      return TransportError::kFailed;
  }
}

// One pooled libcurl handle, with the multi handle that lets abort() wake its wait.
struct Connection {
  CURL* easy = nullptr;
  CURLM* multi = nullptr;
  pid_t owner = 0;  // the process that created the handles
  char error_buffer[CURL_ERROR_SIZE] = {};
};

// Where one exchange's response goes while libcurl reads it.
struct Reception {
  HttpExchange* exchange;
  std::size_t max_body;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* r = static_cast<Reception*>(user);
  const std::size_t n = size * count;
  std::string& body = r->exchange->body;
  const std::size_t room = r->max_body - std::min(r->max_body, body.size());
  body.append(data, std::min(n, room));
  return n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* r = static_cast<Reception*>(user);
  const std::size_t n = size * count;
  const std::string_view line(data, n);
  HttpHeaders& fields = r->exchange->fields;
  if (iequals_prefix(line, "http/")) fields.clear();  // a new response (after a 1xx)
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0 || fields.size() >= kMaxResponseFields)
    return n;
  std::string name(ascii::trim_space(line.substr(0, colon)));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  fields.emplace_back(
      std::move(name),
      std::string(ascii::trim_space(line.substr(colon + 1)).substr(0, kMaxFieldValue)));
  return n;
}

// "Name;" is curl's way to send a header with an empty value.
std::string header_line(const std::string& name, const std::string& value) {
  return value.empty() ? name + ";" : name + ": " + value;
}

class CurlTransport final : public HttpTransport, ForkAware {
 public:
  explicit CurlTransport(CurlTransportOptions options)
      : options_(std::move(options)),
        clock_(clock_or_system(options_.clock)),
        idle_({.capacity = options_.max_idle_connections, .max_idle = options_.idle_timeout}) {
    global_init_once();
    ForkRegistry::add(this);
  }

  // No perform() may still run.
  ~CurlTransport() override {
    ForkRegistry::remove(this);
    lumen::internal::MutexLock lock(mutex_);
    for (Connection* c : idle_.take_all()) close(c);
  }
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  HttpExchange perform(const HttpRequest& request) override {
    HttpExchange x;
    if (aborted_.load()) return aborted();
    Connection* c = acquire();
    if (c == nullptr) {
      x.error = TransportError::kFailed;
      x.error_text = "libcurl could not be initialised";
      return x;
    }
    try {
      exchange(*c, request, x);
    } catch (const std::exception& e) {  // out of memory while building strings
      x.error = TransportError::kFailed;
      x.error_text = std::string("internal error: ") + e.what();
    }
    release(c);
    return x;
  }

  void abort() noexcept override {
    aborted_.store(true);
    lumen::internal::MutexLock lock(mutex_);
    const pid_t pid = getpid();
    for (Connection* c : busy_) {
      if (c->owner == pid) curl_multi_wakeup(c->multi);
    }
  }

  void before_fork() noexcept override LUMEN_ACQUIRE(mutex_) { mutex_.lock(); }
  void after_fork_in_parent() noexcept override LUMEN_RELEASE(mutex_) { mutex_.unlock(); }
  void after_fork_in_child() noexcept override LUMEN_RELEASE(mutex_) {
    // The threads using busy_ do not exist here; their handles, like the idle ones, stay the
    // parent's (see close()).
    busy_.clear();
    mutex_.unlock();
  }

 private:
  static HttpExchange aborted() {
    HttpExchange x;
    x.error = TransportError::kAborted;
    x.error_text = "aborted";
    return x;
  }

  // A child must not clean up handles it inherited: their connections' sockets are shared with the
  // parent (a TLS close_notify would break the parent's session). They are leaked instead.
  static void close(Connection* c) {
    if (c->owner != getpid()) return;
    if (c->easy != nullptr) curl_easy_cleanup(c->easy);
    if (c->multi != nullptr) curl_multi_cleanup(c->multi);
    delete c;
  }

  Connection* acquire() {
    Connection* c = nullptr;
    std::vector<Connection*> expired;
    {
      lumen::internal::MutexLock lock(mutex_);
      const pid_t pid = getpid();
      while (std::optional<Connection*> idle = idle_.take(clock_.now(), expired)) {
        if ((*idle)->owner != pid) continue;  // inherited from the parent: left alone (close())
        c = *idle;
        busy_.push_back(c);
        break;
      }
    }
    for (Connection* e : expired) close(e);  // outside the lock: a TLS goodbye takes a while
    if (c != nullptr) return c;
    c = open();
    if (c == nullptr) return nullptr;
    lumen::internal::MutexLock lock(mutex_);
    busy_.push_back(c);
    return c;
  }

  void release(Connection* c) {
    bool kept = false;
    {
      lumen::internal::MutexLock lock(mutex_);
      busy_.erase(std::remove(busy_.begin(), busy_.end(), c), busy_.end());
      kept = idle_.put(c, clock_.now());
    }
    if (!kept) close(c);
  }

  Connection* open() {
    auto* c = new (std::nothrow) Connection;
    if (c == nullptr) return nullptr;
    c->owner = getpid();
    c->easy = curl_easy_init();
    c->multi = curl_multi_init();
    if (c->easy == nullptr || c->multi == nullptr) {
      close(c);
      return nullptr;
    }
    CURL* e = c->easy;
    if (options_.http2) {
      curl_easy_setopt(e, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
      // Debian's libcurl 7.88 fails the second request on a reused h2c connection to a grpcio
      // server ("Error in the HTTP2 framing layer"): each request opens its own connection.
      curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
    }
    const std::string agent = std::string("lumen-cpp/") + kVersion;
    curl_easy_setopt(e, CURLOPT_USERAGENT, agent.c_str());  // curl copies strings
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->error_buffer);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &on_header);
    curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, &CurlTransport::on_progress);
    curl_easy_setopt(e, CURLOPT_XFERINFODATA, this);
    const TlsFiles& tls = options_.tls;
    if (!tls.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, tls.ca_file.c_str());
    if (!tls.client_certificate.empty()) {
      curl_easy_setopt(e, CURLOPT_SSLCERT, tls.client_certificate.c_str());
    }
    if (!tls.client_key.empty()) curl_easy_setopt(e, CURLOPT_SSLKEY, tls.client_key.c_str());
    return c;
  }

  static int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<CurlTransport*>(user)->aborted_.load(std::memory_order_relaxed) ? 1 : 0;
  }

  void exchange(Connection& c, const HttpRequest& request, HttpExchange& x) {
    CURL* e = c.easy;
    const auto left = std::chrono::ceil<milliseconds>(request.deadline - clock_.now());
    const long timeout_ms = std::max<long>(1, static_cast<long>(left.count()));
    curl_easy_setopt(e, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, request.accept_gzip ? "" : nullptr);
    const bool get = request.method == "GET";
    if (get) {
      curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else {
      curl_easy_setopt(e, CURLOPT_POST, 1L);
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, request.body.data());
    }
    const std::string method(request.method);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST,
                     get || request.method == "POST" ? nullptr : method.c_str());
    curl_slist* headers = nullptr;
    bool headers_ok = true;
    std::vector<std::string> lines;
    lines.reserve(request.headers.size() + 1);
    for (const auto& [name, value] : request.headers) lines.push_back(header_line(name, value));
    if (!get) lines.emplace_back("Expect:");  // no 100-continue round trip (curl waits for it)
    for (const std::string& line : lines) {
      curl_slist* grown = curl_slist_append(headers, line.c_str());
      if (grown == nullptr) {
        headers_ok = false;
        break;
      }
      headers = grown;
    }
    if (!headers_ok) {
      curl_slist_free_all(headers);
      x.error = TransportError::kFailed;
      x.error_text = "out of memory";
      return;
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
    Reception reception{&x, request.max_response_body};
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &reception);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &reception);
    c.error_buffer[0] = '\0';
    const CURLcode code = run(c, request.deadline, x.status);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, nullptr);
    curl_slist_free_all(headers);
    x.error = classify(code);
    if (x.error != TransportError::kNone) {
      x.error_text = c.error_buffer[0] != '\0' ? c.error_buffer : curl_easy_strerror(code);
    }
  }

  // Drives the transfer until it ends, the deadline comes or abort() is called. `status` is the
  // last response's when the transfer ended (even in a failure after the status line).
  CURLcode run(Connection& c, Deadline deadline, long& status) {
    if (curl_multi_add_handle(c.multi, c.easy) != CURLM_OK) return CURLE_FAILED_INIT;
    CURLcode code = CURLE_OK;
    bool finished = false;
    for (;;) {
      int running = 0;
      if (curl_multi_perform(c.multi, &running) != CURLM_OK) {
        code = CURLE_FAILED_INIT;
        break;
      }
      if (running == 0) {
        finished = true;
        break;
      }
      if (aborted_.load()) {
        code = CURLE_ABORTED_BY_CALLBACK;
        break;
      }
      const auto now = clock_.now();
      if (now >= deadline) {
        code = CURLE_OPERATION_TIMEDOUT;
        break;
      }
      const auto wait = std::min(kPollSlice, std::chrono::ceil<milliseconds>(deadline - now));
      curl_multi_poll(c.multi, nullptr, 0, static_cast<int>(wait.count()), nullptr);
    }
    if (finished) {
      int queued = 0;
      while (CURLMsg* msg = curl_multi_info_read(c.multi, &queued)) {
        if (msg->msg == CURLMSG_DONE && msg->easy_handle == c.easy) code = msg->data.result;
      }
      curl_easy_getinfo(c.easy, CURLINFO_RESPONSE_CODE, &status);
    }
    // Removing an unfinished transfer closes its connection; a finished one stays cached.
    curl_multi_remove_handle(c.multi, c.easy);
    return code;
  }

  const CurlTransportOptions options_;
  const Clock& clock_;
  std::atomic<bool> aborted_{false};
  lumen::internal::Mutex mutex_;
  IdlePool<Connection*> idle_ LUMEN_GUARDED_BY(mutex_);
  std::vector<Connection*> busy_ LUMEN_GUARDED_BY(mutex_);
};

}  // namespace
}  // namespace lumen::exporters::detail

namespace lumen::exporters {

std::shared_ptr<HttpTransport> make_curl_transport(CurlTransportOptions options) {
  return std::make_shared<detail::CurlTransport>(std::move(options));
}

}  // namespace lumen::exporters
