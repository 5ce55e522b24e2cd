// Decodes OTLP protobuf payloads with a decoder we did not write: tests/tools/decode_otlp.js, which
// runs the protobufjs code shipped by the npm package @opentelemetry/otlp-proto-exporter-base
// 0.51.1 (tests/tools/node_modules, installed by `npm ci --prefix tests/tools`). Also gunzip for
// request bodies sent with Content-Encoding: gzip.
//
//   nlohmann::json decoded = lumen::testing::decode_otlp_traces(request.body);
//   const auto& span = decoded["message"]["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
//   EXPECT_EQ(span["name"], "checkout");
//   EXPECT_EQ(decoded["spanFlags"][span["spanId"].get<std::string>()], 0x101);
//
// The result is {"message": ..., "spanFlags": {id: flags}, "linkFlags": {id: flags}}: the message
// as protobufjs's toObject gives it (lowerCamelCase names, 64-bit integers as decimal strings,
// enums as numbers, absent fields omitted) with trace and span ids as lower-case hex. Throws
// std::runtime_error naming the cause when node or the npm package is missing or the payload does
// not decode (the test fails; it is never skipped).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace lumen::testing {

// kind: "traces" (ExportTraceServiceRequest), "traces-response", "metrics" or "logs".
[[nodiscard]] nlohmann::json decode_otlp(const std::string& payload, std::string_view kind);
[[nodiscard]] inline nlohmann::json decode_otlp_traces(const std::string& payload) {
  return decode_otlp(payload, "traces");
}

// Inflates a gzip stream (RFC 1952); throws std::runtime_error if it is not one.
[[nodiscard]] std::string gunzip(const std::string& data);

}  // namespace lumen::testing
