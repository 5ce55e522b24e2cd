// Decodes a Jaeger Thrift payload with a decoder we did not write: tests/tools/decode_jaeger.js,
// which reads it with thriftrw and Jaeger's IDL from jaeger-client (npm, tests/tools/node_modules).
//
//   nlohmann::json batch = lumen::testing::decode_jaeger_batch(request.body);
//   EXPECT_EQ(batch["spans"][0]["operationName"], "checkout");
//
// Ids come back as 16 hex digits ("traceIdHigh": "0af7651916cd43dd"); other i64 values as decimal
// strings; absent optional fields as null. Throws std::runtime_error naming the cause when node or
// the npm packages are missing (the test fails; it is never skipped) or when the payload is not a
// valid jaeger.Batch.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace lumen::testing {

[[nodiscard]] nlohmann::json decode_jaeger_batch(const std::string& body);

}  // namespace lumen::testing
