#include "log/line_formatter.hpp"

#include <cstring>

#include "log/record.hpp"
#include "log/record_ring.hpp"
#include "lumen/core/environment.hpp"
#include "lumen/core/error.hpp"
#include "lumen/core/resource.hpp"

namespace lumen::log::detail {
namespace {

std::string fallback_service_name() {
  try {
    return default_service_name(Environment::process());
  } catch (const Error&) {
    // A malformed OTEL_RESOURCE_ATTRIBUTES is reported where the Resource is built; the logger
    // still starts.
    return "unknown_service:" + executable_name();
  }
}

}  // namespace

// The members written here are the reserved keys (kReservedKeys in field.hpp): the fields'
// writer renames a field that would repeat one of them.
LineFormatter::LineFormatter(const LoggerOptions& options) {
  for (const auto& k : options.redact_keys) redactor_.add(k);
  service_members_.append(",\"service\":");
  // The OpenTelemetry default when the options name no service (a Logger built without a Resource).
  append_json_string(service_members_,
                     options.service.empty() ? fallback_service_name() : options.service);
  service_members_.append(",\"environment\":");
  append_json_string(service_members_, options.environment);
  const bool camel = options.trace_keys == TraceKeys::kCamelCase;
  trace_key_ = camel ? ",\"traceId\":\"" : ",\"trace_id\":\"";
  span_key_ = camel ? "\",\"spanId\":\"" : "\",\"span_id\":\"";
}

FormattedRecord LineFormatter::format(Level level, std::uint64_t wall_ns, std::string_view message,
                                      const Slot* slot, Reader& reader) {
  line_.clear();
  constexpr std::string_view kStart = "{\"timestamp\":\"";
  constexpr std::string_view kLevel = "\",\"level\":\"";
  constexpr std::string_view kMessage = "\",\"message\":";
  const std::string_view level_text = level_name(level);
  char* p = line_.reserve(kStart.size() + kIso8601Size + kLevel.size() + level_text.size() +
                          kMessage.size() + json_string_max(message.size()));
  const auto put = [&p](std::string_view t) {
    std::memcpy(p, t.data(), t.size());
    p += t.size();
  };
  put(kStart);
  p = timestamp_.write(p, wall_ns);
  put(kLevel);
  put(level_text);
  put(kMessage);
  line_.commit(p);
  const std::size_t message_start = line_.size() + 1;
  p = write_json_string(p, message);
  line_.commit(p);
  const std::size_t message_end = line_.size() - 1;
  const std::size_t fields_start = line_.size();
  const std::string_view bound = slot != nullptr ? slot->bound() : std::string_view();
  p = line_.reserve(service_members_.size() + trace_key_.size() + 32 + span_key_.size() + 16 + 1);
  put(service_members_);
  if (slot != nullptr && slot->has_span) {
    put(trace_key_);
    slot->trace_id.to_hex(p);
    p += 32;
    put(span_key_);
    slot->span_id.to_hex(p);
    p += 16;
    *p++ = '"';
  }
  line_.commit(p);
  if (!bound.empty()) {
    Reader bound_reader(bound);
    append_fields(line_, bound_reader, redactor_);
  }
  append_fields(line_, reader, redactor_);
  line_.push_back('}');
  const std::string_view json = line_.view();
  return FormattedRecord{level, wall_ns, json.substr(message_start, message_end - message_start),
                         json, json.substr(fields_start, json.size() - 1 - fields_start)};
}

}  // namespace lumen::log::detail
