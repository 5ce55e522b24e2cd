// Runs one of the Node.js decoders in tests/tools on a payload and returns its JSON output.
// The payload goes through a temporary file; on any failure (no node, missing npm packages, a
// payload the decoder rejects) it throws std::runtime_error with the decoder's own message, so a
// test fails rather than skips.
//
//   nlohmann::json decoded = lumen::testing::run_node_decoder("decode_jaeger.js", {}, body);
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace lumen::testing {

// Runs `node tests/tools/<script> <args...> <payload-file>`.
nlohmann::json run_node_decoder(const std::string& script, const std::vector<std::string>& args,
                                const std::string& payload);

}  // namespace lumen::testing
