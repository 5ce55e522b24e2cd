#include "export/otlp_sender.hpp"

#include <algorithm>

#include "export/grpc_wire.hpp"
#include "export/otlp_response.hpp"

namespace lumen::exporters::detail {
namespace {

// scheme://authority of a URL, without path, query or fragment.
std::string origin_of(const std::string& url) {
  const std::size_t scheme_end = url.find("://");
  const std::size_t start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  return url.substr(0, url.find_first_of("/?#", start));
}

HttpSenderOptions http_options(const OtlpSenderOptions& o) {
  HttpSenderOptions h{
      .url = o.endpoint,
      .content_type =
          o.protocol == OtlpProtocol::kHttpJson ? "application/json" : "application/x-protobuf",
      .headers = o.headers,
      .gzip = o.gzip,
      .initial_backoff = o.initial_backoff,
      .max_backoff = o.max_backoff,
      .max_attempts = std::max(1, o.max_attempts),
  };
  h.tls = o.tls;
  h.transport = o.transport;
  h.clock = o.clock;
  if (o.protocol != OtlpProtocol::kGrpc) return h;
  h.url = origin_of(o.endpoint) + std::string(o.grpc_method);
  h.content_type = "application/grpc";
  h.gzip = false;  // gRPC compresses the message inside its frame, not the HTTP body
  h.headers.insert(h.headers.begin(), {"te", "trailers"});
  if (o.gzip) h.headers.insert(h.headers.begin(), {"grpc-encoding", "gzip"});
  h.http2 = true;
  h.judge = grpc_verdict;
  h.attempt_headers = [](std::chrono::milliseconds left) {
    return HeaderList{{"grpc-timeout", grpc_timeout_value(left)}};
  };
  return h;
}

}  // namespace

OtlpSender::OtlpSender(const OtlpSenderOptions& options)
    : protocol_(options.protocol), gzip_(options.gzip), http_(http_options(options)) {}

OtlpSendResult OtlpSender::send(const std::string& request, Deadline deadline) {
  OtlpSendResult out;
  out.json = protocol_ == OtlpProtocol::kHttpJson;
  if (protocol_ != OtlpProtocol::kGrpc) {
    HttpSendResult r = http_.send(request, deadline);
    out.delivered = r.delivered;
    out.attempts = r.attempts;
    out.error = std::move(r.error);
    if (!r.delivered && r.status != 0) {
      const std::string description = describe_error_body(r.response_body, out.json);
      if (!description.empty()) out.error += " (" + description + ")";
    }
    out.response = std::move(r.response_body);
    return out;
  }
  if (gzip_ && !gzip_compress(request, compressed_)) {
    out.error = "gzip compression failed";
    return out;
  }
  HttpSendResult r = http_.send(grpc_frame(gzip_ ? compressed_ : request, gzip_), deadline);
  out.delivered = r.delivered;
  out.attempts = r.attempts;
  out.error = std::move(r.error);
  if (const auto message = grpc_unframe(r.response_body)) out.response = *message;
  return out;
}

}  // namespace lumen::exporters::detail
