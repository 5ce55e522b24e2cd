// The AI models the reference service knows and what each can do: the one table that the gateway
// (which models to try, in which order, and which to micro-batch), the model simulator (which
// models it serves, which of them have a batch endpoint) and the report (list prices) all read, so
// that they cannot disagree about a model.
//
//   for (const lumen::beautifyai::ModelCapabilities& model : lumen::beautifyai::model_catalog()) {
//     if (model.batch_endpoint) std::printf("%s takes several documents per call\n", model.name);
//   }
#pragma once

#include <span>

namespace lumen::beautifyai {

struct ModelCapabilities {
  const char* name;
  // The model answers several inputs in one call (modelsim: POST /v1/batch), so the gateway may
  // micro-batch it; without one, each document is a call of its own.
  bool batch_endpoint;
  double input_usd_per_1k_tokens;  // published list prices (late 2024)
  double output_usd_per_1k_tokens;
};

// Most preferred first: the gateway's fallback order.
[[nodiscard]] std::span<const ModelCapabilities> model_catalog();

}  // namespace lumen::beautifyai
