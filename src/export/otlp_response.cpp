#include "export/otlp_response.hpp"

#include <nlohmann/json.hpp>

#include "export/proto_reader.hpp"

namespace lumen::exporters::detail {
namespace {

constexpr std::size_t kMaxDescription = 200;

std::optional<PartialSuccess> parse_proto(std::string_view body) {
  ProtoReader response(body);
  std::uint32_t field = 0;
  WireType type{};
  std::optional<PartialSuccess> result;
  while (response.next(field, type)) {
    if (field != 1 || type != WireType::kLengthDelimited) {
      response.skip(type);
      continue;
    }
    ProtoReader partial(response.length_delimited());  // ExportTracePartialSuccess
    PartialSuccess p;
    while (partial.next(field, type)) {
      if (field == 1 && type == WireType::kVarint) {
        p.rejected = static_cast<std::int64_t>(partial.varint());
      } else if (field == 2 && type == WireType::kLengthDelimited) {
        p.message = std::string(partial.length_delimited());
      } else {
        partial.skip(type);
      }
    }
    if (!partial.ok()) return std::nullopt;
    result = std::move(p);
  }
  if (!response.ok()) return std::nullopt;
  return result;
}

std::optional<PartialSuccess> parse_json(std::string_view body) {
  const auto doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return std::nullopt;
  const auto it = doc.find("partialSuccess");
  if (it == doc.end() || !it->is_object()) return std::nullopt;
  PartialSuccess p;
  // int64 arrives as a decimal string per the JSON mapping; numbers are accepted too.
  // The count's name depends on the signal (ExportTraceServiceResponse,
  // ExportMetricsServiceResponse).
  auto r = it->find("rejectedSpans");
  if (r == it->end()) r = it->find("rejectedDataPoints");
  if (r != it->end()) {
    if (r->is_number_integer()) {
      p.rejected = r->get<std::int64_t>();
    } else if (r->is_string()) {
      try {
        p.rejected = std::stoll(r->get<std::string>());
      } catch (...) {
        return std::nullopt;
      }
    }
  }
  if (const auto m = it->find("errorMessage"); m != it->end() && m->is_string()) {
    p.message = m->get<std::string>();
  }
  return p;
}

std::string printable_prefix(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, kMaxDescription)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7F ? c : (u == '\n' || u == '\r' || u == '\t' ? ' ' : '?'));
  }
  if (text.size() > kMaxDescription) out += "...";
  return out;
}

// google.rpc.Status { int32 code = 1; string message = 2; repeated Any details = 3; }
std::optional<std::string> status_message_proto(std::string_view body) {
  ProtoReader status(body);
  std::uint32_t field = 0;
  WireType type{};
  std::optional<std::string> message;
  while (status.next(field, type)) {
    if (field == 2 && type == WireType::kLengthDelimited) {
      message = std::string(status.length_delimited());
    } else {
      status.skip(type);
    }
  }
  if (!status.ok()) return std::nullopt;
  return message;
}

}  // namespace

std::optional<PartialSuccess> parse_partial_success(std::string_view body, bool json) {
  if (body.empty()) return std::nullopt;
  std::optional<PartialSuccess> p = json ? parse_json(body) : parse_proto(body);
  if (!p || (p->rejected == 0 && p->message.empty())) return std::nullopt;
  return p;
}

std::string describe_error_body(std::string_view body, bool json) {
  if (body.empty()) return {};
  if (json) {
    const auto doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (doc.is_object()) {
      if (const auto m = doc.find("message"); m != doc.end() && m->is_string()) {
        return printable_prefix(m->get<std::string>());
      }
    }
  } else if (auto message = status_message_proto(body); message && !message->empty()) {
    return printable_prefix(*message);
  }
  return printable_prefix(body);
}

}  // namespace lumen::exporters::detail
