// Reading what an OTLP/HTTP receiver answers: the partial-success part of a 2xx
// ExportTraceServiceResponse, and the google.rpc.Status message of an error response.
// Both come as protobuf or JSON, matching the request's encoding. Malformed bodies never throw.
//
//   if (auto partial = detail::parse_partial_success(result.response_body, /*json=*/false)) {
//     report(partial->rejected, partial->message);
//   }
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lumen::exporters::detail {

struct PartialSuccess {
  std::int64_t rejected = 0;  // spans the receiver dropped
  std::string message;        // its explanation (may be set even when nothing was rejected)
};

// nullopt for an empty or full-success response, or a body that cannot be decoded.
[[nodiscard]] std::optional<PartialSuccess> parse_partial_success(std::string_view body, bool json);

// A short, printable description of an error response body: the Status message when the body is
// one, else the body's printable start. Empty for an empty body.
[[nodiscard]] std::string describe_error_body(std::string_view body, bool json);

}  // namespace lumen::exporters::detail
