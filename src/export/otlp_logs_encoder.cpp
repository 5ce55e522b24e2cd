#include "export/otlp_logs_encoder.hpp"

#include <nlohmann/json.hpp>

#include "export/otlp_json_common.hpp"
#include "export/otlp_proto_encoder.hpp"

namespace lumen::exporters::detail {
namespace {

// At namespace scope, as in the other JSON encoders: a function's own alias shadowed theirs where
// a unity build puts them in one file (clang's -Wshadow, in the fuzz build).
using Json = nlohmann::ordered_json;

// Field numbers of opentelemetry/proto/logs/v1/logs.proto.
namespace field {
constexpr std::uint32_t kResourceLogs = 1;  // ExportLogsServiceRequest
constexpr std::uint32_t kResource = 1;      // ResourceLogs
constexpr std::uint32_t kScopeLogs = 2;
constexpr std::uint32_t kScope = 1;  // ScopeLogs
constexpr std::uint32_t kLogRecords = 2;
constexpr std::uint32_t kTimeUnixNano = 1;  // LogRecord
constexpr std::uint32_t kSeverityNumber = 2;
constexpr std::uint32_t kSeverityText = 3;
constexpr std::uint32_t kBody = 5;
constexpr std::uint32_t kAttributes = 6;
constexpr std::uint32_t kFlags = 8;
constexpr std::uint32_t kTraceId = 9;
constexpr std::uint32_t kSpanId = 10;
constexpr std::uint32_t kObservedTimeUnixNano = 11;
}  // namespace field

// SeverityText: the level's name as lumen writes it in its lines, upper-cased as OpenTelemetry's
// examples show it.
std::string_view severity_text(log::Level level) noexcept {
  switch (level) {
    case log::Level::kTrace:
      return "TRACE";
    case log::Level::kDebug:
      return "DEBUG";
    case log::Level::kInfo:
      return "INFO";
    case log::Level::kWarn:
      return "WARN";
    case log::Level::kError:
      return "ERROR";
    case log::Level::kFatal:
      return "FATAL";
    case log::Level::kOff:
      break;
  }
  return "";
}

void write_record(ProtoWriter& w, const log::LogRecordData& r) {
  const std::size_t record = w.begin_message(field::kLogRecords);
  if (r.time_ns != 0) w.fixed64_field(field::kTimeUnixNano, r.time_ns);
  if (const int n = log::severity_number(r.level); n != 0) {
    w.varint_field(field::kSeverityNumber, static_cast<std::uint64_t>(n));
  }
  if (const auto text = severity_text(r.level); !text.empty())
    w.string_field(field::kSeverityText, text);
  const std::size_t body = w.begin_message(field::kBody);
  w.string_field(1, r.body);  // AnyValue.string_value
  w.end_message(body);
  write_key_values(w, field::kAttributes, r.attributes);
  if (r.trace_id.is_valid()) {
    w.fixed32_field(field::kFlags, r.trace_flags);
    w.bytes_field(field::kTraceId, r.trace_id.bytes().data(), r.trace_id.bytes().size());
    w.bytes_field(field::kSpanId, r.span_id.bytes().data(), r.span_id.bytes().size());
  }
  if (r.observed_time_ns != 0) w.fixed64_field(field::kObservedTimeUnixNano, r.observed_time_ns);
  w.end_message(record);
}

}  // namespace

void encode_logs_request(const log::LogBatch& batch, std::string& out) {
  out.clear();
  if (batch.records.empty()) return;
  out.reserve(batch.records.size() * 192);
  ProtoWriter w(out);
  const std::size_t resource_logs = w.begin_message(field::kResourceLogs);
  if (batch.resource != nullptr) {
    const std::size_t resource = w.begin_message(field::kResource);
    write_key_values(w, 1, batch.resource->attributes());
    w.end_message(resource);
  }
  const std::size_t scope_logs = w.begin_message(field::kScopeLogs);
  const std::size_t scope = w.begin_message(field::kScope);
  if (!batch.scope_name.empty()) w.string_field(1, batch.scope_name);
  if (!batch.scope_version.empty()) w.string_field(2, batch.scope_version);
  w.end_message(scope);
  for (const log::LogRecordData& r : batch.records) write_record(w, r);
  w.end_message(scope_logs);
  w.end_message(resource_logs);
}

std::string encode_logs_request_json(const log::LogBatch& batch) {
  Json records = Json::array();
  for (const log::LogRecordData& r : batch.records) {
    Json record = Json::object();
    if (r.time_ns != 0) record["timeUnixNano"] = std::to_string(r.time_ns);
    if (r.observed_time_ns != 0)
      record["observedTimeUnixNano"] = std::to_string(r.observed_time_ns);
    if (const int n = log::severity_number(r.level); n != 0) record["severityNumber"] = n;
    if (const auto text = severity_text(r.level); !text.empty()) record["severityText"] = text;
    record["body"] = Json{{"stringValue", r.body}};
    if (!r.attributes.empty()) record["attributes"] = key_values_json(r.attributes);
    if (r.trace_id.is_valid()) {
      record["flags"] = r.trace_flags;
      record["traceId"] = r.trace_id.to_hex();
      record["spanId"] = r.span_id.to_hex();
    }
    records.push_back(std::move(record));
  }
  Json scope = Json::object();
  if (!batch.scope_name.empty()) scope["name"] = batch.scope_name;
  if (!batch.scope_version.empty()) scope["version"] = batch.scope_version;
  Json entry = Json::object();
  if (batch.resource != nullptr) {
    entry["resource"] = Json{{"attributes", key_values_json(batch.resource->attributes())}};
  }
  entry["scopeLogs"] =
      Json::array({Json{{"scope", std::move(scope)}, {"logRecords", std::move(records)}}});
  Json request = Json::object();
  request["resourceLogs"] = batch.records.empty() ? Json::array() : Json::array({std::move(entry)});
  // `replace` writes U+FFFD for invalid UTF-8 instead of throwing.
  return request.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace lumen::exporters::detail
