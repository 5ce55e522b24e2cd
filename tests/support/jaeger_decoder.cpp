#include "jaeger_decoder.hpp"

#include "node_tool.hpp"

namespace lumen::testing {

nlohmann::json decode_jaeger_batch(const std::string& body) {
  return run_node_decoder("decode_jaeger.js", {}, body);
}

}  // namespace lumen::testing
