#include "lumen/beautifyai/model_catalog.hpp"

namespace lumen::beautifyai {

std::span<const ModelCapabilities> model_catalog() {
  // gpt-4o-mini's chat API takes one conversation per call (OpenAI's Batch API is asynchronous,
  // answered within hours): it has no batch endpoint.
  static constexpr ModelCapabilities kModels[] = {
      {"gemini-2.0-flash", true, 0.0001, 0.0004},
      {"gpt-4o-mini", false, 0.00015, 0.0006},
      {"claude-3-haiku", true, 0.00025, 0.00125},
      {"gemini-1.5-pro", true, 0.00125, 0.005},
  };
  return kModels;
}

}  // namespace lumen::beautifyai
