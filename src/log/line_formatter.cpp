#include "log/line_formatter.hpp"

#include <cstring>
#include <string>

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
  for (std::size_t i = 0; i < level_members_.size(); ++i) {
    level_members_[i] =
        PaddedText(std::string("\",\"level\":\"") + std::string(level_name(static_cast<Level>(i))) +
                   "\",\"message\":");
  }
  std::string service = ",\"service\":";
  // The OpenTelemetry default when the options name no service (a Logger built without a Resource).
  append_json_string(service, options.service.empty() ? fallback_service_name() : options.service);
  service.append(",\"environment\":");
  append_json_string(service, options.environment);
  service_members_ = PaddedText(service);
  const bool camel = options.trace_keys == TraceKeys::kCamelCase;
  trace_key_ = PaddedText(camel ? ",\"traceId\":\"" : ",\"trace_id\":\"");
  span_key_ = PaddedText(camel ? "\",\"spanId\":\"" : "\",\"span_id\":\"");
}

void LineFormatter::format(Level level, std::uint64_t wall_ns, std::string_view message,
                           const Slot* slot, Reader& reader, FormattedRecord& out) {
  line_.clear();
  constexpr std::string_view kStart = "{\"timestamp\":\"";
  const auto level_index = static_cast<std::size_t>(level);
  const PaddedText& level_members =
      level_members_[level_index < level_members_.size() ? level_index
                                                         : static_cast<std::size_t>(Level::kInfo)];
  char* p = line_.reserve(kStart.size() + kIso8601Size + level_members.room() +
                          json_string_max(message.size()));
  std::memcpy(p, kStart.data(), kStart.size());
  p = timestamp_.write(p + kStart.size(), wall_ns);
  p = level_members.write(p);
  line_.commit(p);
  const std::size_t message_start = line_.size() + 1;
  p = write_json_string(p, message);
  line_.commit(p);
  const std::size_t message_end = line_.size() - 1;
  const std::size_t fields_start = line_.size();
  const std::string_view bound = slot != nullptr ? slot->bound() : std::string_view();
  p = line_.reserve(service_members_.room() + trace_key_.room() + 32 + span_key_.room() + 16 + 1);
  p = service_members_.write(p);
  if (slot != nullptr && slot->has_span) {
    p = trace_key_.write(p);
    slot->trace_id.to_hex(p);
    p = span_key_.write(p + 32);
    slot->span_id.to_hex(p);
    p += 16;
    *p++ = '"';
  }
  line_.commit(p);
  std::size_t place = 0;
  if (!bound.empty()) {
    Reader bound_reader(bound);
    place = append_fields(line_, bound_reader, redactor_, keys_, place);
  }
  (void)append_fields(line_, reader, redactor_, keys_, place);
  line_.push_back('}');
  const std::string_view json = line_.view();
  out.level = level;
  out.wall_ns = wall_ns;
  out.message = json.substr(message_start, message_end - message_start);
  out.json = json;
  out.fields = json.substr(fields_start, json.size() - 1 - fields_start);
}

}  // namespace lumen::log::detail
