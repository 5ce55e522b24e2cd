// The HttpTransport over libcurl: what every exporter, the webhook and the Prometheus report source
// send through unless they are handed another transport. An exporter builds its own with default
// pool settings; build one here to set them (or to share one pool between exporters), and hand it
// to the exporter's `transport` option. libcurl itself stays out of this header.
//
// Connections are pooled: each perform() takes an idle libcurl handle (with its live connection)
// or opens one, and gives it back after, so concurrent callers never share a handle and sequential
// ones reuse the connection. The pool keeps at most max_idle_connections idle handles (a burst of
// concurrent callers does not leave as many sockets open behind it), and closes those idle for
// longer than idle_timeout when a request next comes. After fork() the child opens its own and
// leaves the parent's untouched. Sends a User-Agent naming lumen and its version; http and https
// only.
//
//   auto transport = lumen::exporters::make_curl_transport(
//       {.max_idle_connections = 2, .idle_timeout = std::chrono::seconds(30)});
//   lumen::exporters::OtlpHttpExporter exporter(
//       {.endpoint = "http://localhost:4318/v1/traces", .transport = transport});
//
// Thread-safety: as HttpTransport (perform() from several threads at once, abort() from any).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

#include "lumen/core/clock.hpp"
#include "lumen/export/http_transport.hpp"
#include "lumen/export/tls_files.hpp"

namespace lumen::exporters {

struct CurlTransportOptions {
  // https:// only. An exporter handed this transport uses these, not its own `tls` option.
  TlsFiles tls;
  // HTTP/2 without the HTTP/1.1 upgrade dance (prior knowledge) on http://, by ALPN on https://.
  // Set it for an OTLP/gRPC exporter.
  bool http2 = false;
  // What request deadlines and idle times are measured on; nullptr: the machine's clock. libcurl's
  // own time limit is the time left on it, in real time.
  const Clock* clock = nullptr;
  // Idle handles kept for reuse at most; one given back beyond it is closed. 0 keeps none (each
  // request opens its own connection).
  std::size_t max_idle_connections = 8;
  // An idle handle unused for longer is closed (on `clock`) when the next request comes, instead
  // of being reused: the server has likely dropped its end, and a transport used now and then (a
  // webhook) holds no socket for long between uses.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(60);
};

[[nodiscard]] std::shared_ptr<HttpTransport> make_curl_transport(CurlTransportOptions options = {});

}  // namespace lumen::exporters
