// The parts of the gRPC protocol (over HTTP/2, see grpc/doc/PROTOCOL-HTTP2.md) that a unary call
// needs: the 5-byte length prefix of a message, the grpc-timeout value, the status codes and which
// of them OTLP retries, and reading a response's grpc-status, grpc-message and the RetryInfo in
// grpc-status-details-bin. No I/O: GrpcSender carries these over HttpSender. Never throws on bad
// input from a server.
//
//   std::string frame = detail::grpc_frame(message, /*compressed=*/false);
//   AttemptVerdict v = detail::grpc_verdict(response);   // from an HttpSender judge
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "export/http_sender.hpp"

namespace lumen::exporters::detail {

// google.rpc.Code values that the exporters name.
enum class GrpcCode : int {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kResourceExhausted = 8,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

// "UNAVAILABLE" for 14; "code 42" for a code outside google.rpc.Code.
[[nodiscard]] std::string grpc_code_name(int code);

// The OTLP specification's retryable codes; RESOURCE_EXHAUSTED only when the server sent
// RetryInfo (it means the server can recover).
[[nodiscard]] bool is_retryable_grpc_code(int code, bool has_retry_info) noexcept;

// A length-prefixed message: compressed flag byte, 4-byte big-endian length, the bytes.
[[nodiscard]] std::string grpc_frame(std::string_view message, bool compressed);

// The message of a length-prefixed response; nullopt when the body is not exactly one
// uncompressed message (lumen never offers a compressed response encoding).
[[nodiscard]] std::optional<std::string_view> grpc_unframe(std::string_view body) noexcept;

// The grpc-timeout header value: at most 8 digits and a unit (m for milliseconds, S for seconds,
// M for minutes, H for hours), rounded up so that the server's deadline is never the earlier one.
[[nodiscard]] std::string grpc_timeout_value(std::chrono::milliseconds timeout);

// The retry_delay of a google.rpc.RetryInfo among the details of the google.rpc.Status in
// `details_base64` (the grpc-status-details-bin trailer, base64 with or without padding).
[[nodiscard]] std::optional<std::chrono::milliseconds> grpc_retry_delay(
    std::string_view details_base64);

// Reads a gRPC response: delivered when grpc-status is 0; retryable per is_retryable_grpc_code,
// after RetryInfo's delay when given. An HTTP status other than 200 without grpc-status is mapped
// as gRPC clients do (429, 502, 503, 504 are UNAVAILABLE).
[[nodiscard]] AttemptVerdict grpc_verdict(const HttpResponse& response);

}  // namespace lumen::exporters::detail
