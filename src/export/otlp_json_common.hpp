// Pieces of the OTLP/JSON mapping shared by the trace and metrics encoders (internal).
#pragma once

#include <nlohmann/json.hpp>

#include "lumen/core/attributes.hpp"

namespace lumen::exporters::detail {

// The KeyValue list of `attributes` (an empty array when there are none).
[[nodiscard]] nlohmann::ordered_json key_values_json(const Attributes& attributes);
// A double per proto3's JSON mapping: NaN and infinities as strings.
[[nodiscard]] nlohmann::ordered_json otlp_double_json(double value);

}  // namespace lumen::exporters::detail
