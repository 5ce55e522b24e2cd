#include "lumen/beautifyai/ai_request_log.hpp"

namespace lumen::beautifyai {

using log::Field;
using log::Level;
using log::Object;

void log_ai_request(log::Logger& logger, std::string_view model, std::string_view operation,
                    std::initializer_list<Field> context, const AiRequestResult& result) {
  const Level level = result.success ? Level::kInfo : Level::kError;
  if (!logger.enabled(level)) return;
  Field fields[6] = {{"model", model},
                     {"operation", operation},
                     {"context", Object(context)},
                     {"", nullptr},
                     {"", nullptr},
                     {"", nullptr}};
  std::size_t n = 3;
  if (result.duration_ms >= 0) fields[n++] = {"duration_ms", result.duration_ms};
  if (result.tokens >= 0) fields[n++] = {"tokens", result.tokens};
  if (result.success) {
    logger.log(level, "AI request completed", fields, n);
    return;
  }
  const Field error[] = {{"message", result.error_message}, {"stack", result.error_stack}};
  fields[n++] = {"error", Object(error, result.error_stack.empty() ? 1 : 2)};
  logger.log(level, "AI request failed", fields, n);
}

}  // namespace lumen::beautifyai
