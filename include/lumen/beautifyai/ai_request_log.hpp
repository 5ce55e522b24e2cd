// BeautifyAI's logAIRequest helper (from the original design): one record per AI provider call,
// on the generic structured logger.
//
//   lumen::beautifyai::log_ai_request(logger, "gemini-2.0-flash", "analyze", {{"image_id", id}},
//                                    {.success = true, .duration_ms = 812.5});
//   // info "AI request completed" {model, operation, context:{...}, duration_ms}
//   lumen::beautifyai::log_ai_request(logger, model, "analyze", {},
//                                    {.success = false, .error_message = e.what(), .error_stack =
//                                    trace});
//   // error "AI request failed" {..., error:{message, stack}}
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "lumen/log/logger.hpp"

namespace lumen::beautifyai {

struct AiRequestResult {
  bool success = true;
  double duration_ms = -1;   // omitted when negative
  std::int64_t tokens = -1;  // omitted when negative
  std::string_view error_message;
  std::string_view error_stack;  // omitted when empty
};

void log_ai_request(log::Logger& logger, std::string_view model, std::string_view operation,
                    std::initializer_list<log::Field> context, const AiRequestResult& result);

}  // namespace lumen::beautifyai
