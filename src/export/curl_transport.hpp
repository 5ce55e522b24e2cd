// The HttpTransport over libcurl: what every exporter, the webhook and the Prometheus report source
// send through unless a test hands them another transport. Internal (no curl in public headers).
//
// Connections are pooled: each perform() takes an idle libcurl handle (with its live connection)
// or opens one, and gives it back after, so concurrent callers never share a handle and sequential
// ones reuse the connection. After fork() the child opens its own and leaves the parent's
// untouched. Sends a User-Agent naming lumen and its version; http and https only.
//
//   std::shared_ptr<lumen::exporters::HttpTransport> transport =
//       lumen::exporters::detail::make_curl_transport({.tls = options.tls});
//   lumen::exporters::HttpExchange answer = transport->perform(
//       {.method = "GET", .url = "http://127.0.0.1:9090/-/ready", .deadline = deadline});
#pragma once

#include <memory>

#include "lumen/core/clock.hpp"
#include "lumen/export/http_transport.hpp"
#include "lumen/export/tls_files.hpp"

namespace lumen::exporters::detail {

struct CurlTransportOptions {
  TlsFiles tls;  // https:// only
  // HTTP/2 without the HTTP/1.1 upgrade dance (prior knowledge) on http://, by ALPN on https://.
  bool http2 = false;
  // What request deadlines are measured on; nullptr: the machine's clock. libcurl's own time limit
  // is the time left on it, in real time.
  const Clock* clock = nullptr;
};

[[nodiscard]] std::shared_ptr<HttpTransport> make_curl_transport(CurlTransportOptions options = {});

}  // namespace lumen::exporters::detail
