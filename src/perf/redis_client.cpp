#include "lumen/perf/redis_client.hpp"

#include <hiredis/hiredis.h>

#include <sys/time.h>
#include <algorithm>
#include <charconv>
#include <optional>
#include <utility>
#include <vector>

#include "core/ascii.hpp"
#include "lumen/core/environment.hpp"
#include "lumen/core/error.hpp"
#include "lumen/trace/tracer.hpp"

namespace lumen::perf {

namespace {

[[noreturn]] void bad_url(std::string_view url, std::string_view what) {
  throw Error(
      "Redis URL '" + std::string(url) + "': " + std::string(what) +
      "; expected redis://[[user]:password@]host[:port][/db], e.g. redis://127.0.0.1:6379/0");
}

std::string percent_decode(std::string_view url, std::string_view s) {
  std::optional<std::string> decoded = ascii::percent_decode_strict(s);
  if (!decoded) bad_url(url, "a '%' in the user or password is not followed by two hex digits");
  return std::move(*decoded);
}

template <typename N>
bool parse_number(std::string_view s, N& out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && ptr == s.data() + s.size();
}

timeval to_timeval(std::chrono::milliseconds d) noexcept {
  const auto ms = d.count() <= 0 ? 1 : d.count();
  return timeval{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
}

struct ReplyDeleter {
  void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

// One connection; `fresh` until its first command, so that an I/O failure on a connection that
// sat idle (the server may have restarted since) can be retried on a new one.
struct Connection {
  explicit Connection(redisContext* c) noexcept : ctx(c) {}
  Connection(Connection&& o) noexcept : ctx(std::exchange(o.ctx, nullptr)), fresh(o.fresh) {}
  Connection& operator=(Connection&&) = delete;
  ~Connection() {
    if (ctx != nullptr) redisFree(ctx);
  }
  redisContext* ctx;
  bool fresh = true;
};

// hiredis allocates an array reply's element table as soon as it reads the count, before one
// element has arrived ("*999999992" is an 8 GB calloc, found by fuzz/redis_reply_fuzzer), and
// 0.14, Debian 12's, has no limit of its own (1.x's maxelements). Each connection's reader gets
// hiredis's own reply functions with createArray refusing larger counts: the reader then fails
// the reply, and `run` names the count instead of hiredis's "Out of memory".
constexpr long long kMaxReplyElements = 1 << 20;
thread_local long long refused_array_elements = -1;

void bound_reply_arrays(redisContext* ctx) {
  static const redisReplyObjectFunctions* const hiredis_functions = ctx->reader->fn;
  static const redisReplyObjectFunctions bounded = [] {
    redisReplyObjectFunctions functions = *hiredis_functions;
    // `auto`: the element count is an int in hiredis 0.14 and a size_t in 1.x.
    functions.createArray = [](const redisReadTask* task, auto elements) -> void* {
      if (static_cast<long long>(elements) > kMaxReplyElements) {
        refused_array_elements = static_cast<long long>(elements);
        return nullptr;
      }
      return hiredis_functions->createArray(task, elements);
    };
    return functions;
  }();
  ctx->reader->fn = const_cast<redisReplyObjectFunctions*>(&bounded);
}

}  // namespace

RedisEndpoint parse_redis_url(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    bad_url(url, url.substr(0, 9) == "rediss://" ? "TLS (rediss://) is not supported"
                                                 : "it does not start with redis://");
  }
  RedisEndpoint ep;
  std::string_view rest = url.substr(kScheme.size());
  std::string_view path;
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    path = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const auto colon = userinfo.find(':');
    if (colon == std::string_view::npos) {
      // redis://secret@host is how several clients spell a password without a user.
      ep.password = percent_decode(url, userinfo);
    } else {
      ep.username = percent_decode(url, userinfo.substr(0, colon));
      ep.password = percent_decode(url, userinfo.substr(colon + 1));
    }
  }
  std::string_view host = rest;
  if (!rest.empty() && rest.front() == '[') {  // [::1]:6379
    const auto close = rest.find(']');
    if (close == std::string_view::npos) bad_url(url, "an IPv6 host lacks its closing ']'");
    host = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') bad_url(url, "unexpected text after the IPv6 host");
  } else if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    rest = rest.substr(colon);
  } else {
    rest = {};
  }
  if (host.empty()) bad_url(url, "the host is missing");
  ep.host = std::string(host);
  if (!rest.empty()) {  // ":port"
    unsigned port = 0;
    if (!parse_number(rest.substr(1), port) || port == 0 || port > 65535) {
      bad_url(url, "the port '" + std::string(rest.substr(1)) + "' is not a number in 1..65535");
    }
    ep.port = static_cast<std::uint16_t>(port);
  }
  if (!path.empty()) {
    if (!parse_number(path, ep.db) || ep.db < 0) {
      bad_url(url, "the database '" + std::string(path) + "' is not a number >= 0");
    }
  }
  return ep;
}

struct RedisClient::Impl {
  explicit Impl(RedisOptions o)
      : opt(std::move(o)),
        endpoint(parse_redis_url(!opt.url.empty() ? opt.url
                                                  : Environment::process().get_or(
                                                        "REDIS_URL", "redis://127.0.0.1:6379"))),
        pool([this] { return connect(); }, PoolOptions{.name = opt.name,
                                                       .max_size = opt.pool_size,
                                                       .min_idle = opt.min_idle,
                                                       .acquire_timeout = opt.acquire_timeout,
                                                       .meter = opt.meter}) {}

  std::string where() const { return endpoint.host + ":" + std::to_string(endpoint.port); }

  Connection connect() const {
    redisContext* raw = redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port,
                                                to_timeval(opt.connect_timeout));
    if (raw == nullptr) throw RedisError("redis " + where() + ": out of memory connecting", true);
    Connection c(raw);
    if (raw->err != 0) {
      throw RedisError("redis " + where() + ": cannot connect: " + std::string(raw->errstr), true);
    }
    redisSetTimeout(raw, to_timeval(opt.command_timeout));
    bound_reply_arrays(raw);
    if (!endpoint.password.empty()) {
      std::vector<std::string_view> auth{"AUTH"};
      if (!endpoint.username.empty()) auth.push_back(endpoint.username);
      auth.push_back(endpoint.password);
      (void)run(c, auth);
    }
    if (endpoint.db != 0) {
      const std::string db = std::to_string(endpoint.db);
      (void)run(c, {"SELECT", db});
    }
    c.fresh = true;
    return c;
  }

  // One command on one connection; throws RedisError (io() when the connection is now unusable).
  Reply run(Connection& c, const std::vector<std::string_view>& args) const {
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    argv.reserve(args.size());
    lens.reserve(args.size());
    for (std::string_view a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    c.fresh = false;
    refused_array_elements = -1;
    Reply reply(static_cast<redisReply*>(
        redisCommandArgv(c.ctx, static_cast<int>(argv.size()), argv.data(), lens.data())));
    if (reply == nullptr && refused_array_elements >= 0) {
      throw RedisError("redis " + where() + " " + std::string(args.front()) + ": a reply of " +
                           std::to_string(refused_array_elements) + " elements, more than the " +
                           std::to_string(kMaxReplyElements) + " this client accepts",
                       true);
    }
    if (reply == nullptr) {
      throw RedisError("redis " + where() + " " + std::string(args.front()) + ": " +
                           (c.ctx->err != 0 ? std::string(c.ctx->errstr) : "no reply"),
                       true);
    }
    if (reply->type == REDIS_REPLY_ERROR) {
      throw RedisError("redis " + where() + " " + std::string(args.front()) + ": " +
                           std::string(reply->str, reply->len),
                       false);
    }
    return reply;
  }

  // Leases a connection, runs the command inside its span, retries an idempotent command once
  // when a connection that had been idle turns out dead.
  Reply command(const std::vector<std::string_view>& args) {
    trace::Span span;
    if (opt.tracer != nullptr) {
      span = opt.tracer->start(
          args.front(),
          {.kind = trace::SpanKind::kClient,
           .attributes = {{"db.system", "redis"},
                          {"db.operation", std::string(args.front())},
                          {"server.address", endpoint.host},
                          {"server.port", static_cast<std::int64_t>(endpoint.port)}}});
    }
    try {
      for (int attempt = 0;; ++attempt) {
        auto lease = pool.acquire();
        const bool reused = !lease->fresh;
        try {
          Reply r = run(*lease, args);
          span.set_status(trace::StatusCode::kOk);
          return r;
        } catch (const RedisError& e) {
          if (!e.io()) throw;
          lease.mark_broken();
          if (!reused || attempt > 0) throw;
        }
      }
    } catch (const PoolTimeout& e) {
      trace::detail::mark_failed(span, std::current_exception());
      throw RedisError("redis " + where() + ": no connection free: " + e.what(), true);
    } catch (...) {
      trace::detail::mark_failed(span, std::current_exception());
      throw;
    }
  }

  RedisOptions opt;
  RedisEndpoint endpoint;
  ResourcePool<Connection> pool;
};

RedisClient::RedisClient(RedisOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
RedisClient::~RedisClient() = default;

void RedisClient::ping() {
  Reply r = impl_->command({"PING"});
  if (r->type != REDIS_REPLY_STATUS || std::string_view(r->str, r->len) != "PONG") {
    throw RedisError("redis " + impl_->where() + ": PING did not answer PONG", false);
  }
}

std::optional<std::string> RedisClient::get(std::string_view key) {
  Reply r = impl_->command({"GET", key});
  if (r->type == REDIS_REPLY_NIL) return std::nullopt;
  if (r->type != REDIS_REPLY_STRING) {
    throw RedisError("redis " + impl_->where() + " GET: the key holds a non-string value", false);
  }
  return std::string(r->str, r->len);
}

void RedisClient::set(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) {
  if (ttl.count() > 0) {
    const std::string px = std::to_string(ttl.count());
    (void)impl_->command({"SET", key, value, "PX", px});
  } else {
    (void)impl_->command({"SET", key, value});
  }
}

std::size_t RedisClient::del(std::string_view key) {
  Reply r = impl_->command({"DEL", key});
  return r->type == REDIS_REPLY_INTEGER ? static_cast<std::size_t>(r->integer) : 0;
}

void RedisClient::scan(std::string_view glob, const std::function<void(std::string_view)>& each,
                       std::size_t count) {
  const std::string step = std::to_string(count == 0 ? 500 : count);
  std::string cursor = "0";
  do {
    Reply r = impl_->command({"SCAN", cursor, "MATCH", glob, "COUNT", step});
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[1]->type != REDIS_REPLY_ARRAY) {
      throw RedisError("redis " + impl_->where() + " SCAN: unexpected reply shape", false);
    }
    cursor.assign(r->element[0]->str, r->element[0]->len);
    const redisReply* keys = r->element[1];
    for (std::size_t i = 0; i < keys->elements; ++i) {
      each(std::string_view(keys->element[i]->str, keys->element[i]->len));
    }
  } while (cursor != "0");
}

std::size_t RedisClient::del_matching(std::string_view glob, std::size_t count) {
  // Collect, then DEL in batches of `count`: one round trip per batch, and the SCAN cursor is
  // never disturbed by our own deletions.
  const std::size_t limit = count == 0 ? 500 : count;
  std::vector<std::string> found;
  scan(
      glob, [&](std::string_view k) { found.emplace_back(k); }, limit);
  std::size_t removed = 0;
  for (std::size_t i = 0; i < found.size(); i += limit) {
    std::vector<std::string_view> args{"DEL"};
    for (std::size_t j = i; j < std::min(found.size(), i + limit); ++j) args.emplace_back(found[j]);
    Reply r = impl_->command(args);
    if (r->type == REDIS_REPLY_INTEGER) removed += static_cast<std::size_t>(r->integer);
  }
  return removed;
}

const RedisEndpoint& RedisClient::endpoint() const noexcept {
  return impl_->endpoint;
}
PoolStats RedisClient::pool_stats() const {
  return impl_->pool.stats();
}

}  // namespace lumen::perf
