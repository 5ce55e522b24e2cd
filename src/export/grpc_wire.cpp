#include "export/grpc_wire.hpp"

#include <array>
#include <cstdint>

#include "core/ascii.hpp"
#include "export/proto_reader.hpp"

namespace lumen::exporters::detail {
namespace {

using std::chrono::milliseconds;

constexpr std::string_view kRetryInfoType = "type.googleapis.com/google.rpc.RetryInfo";
constexpr std::size_t kMaxMessage = 200;  // of grpc-message, in an error line
constexpr std::int64_t kMaxRetryDelayMs =
    std::int64_t{3600} * 1000;  // nobody waits longer; avoids overflow

int base64_digit(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

std::optional<std::string> base64_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    const int d = base64_digit(c);
    if (d < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(d);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xFF));
    }
  }
  return out;
}

// grpc-message is percent-encoded (PROTOCOL-HTTP2.md); shown printable and short.
std::string decode_grpc_message(std::string_view text) {
  std::string out = ascii::percent_decode(text);
  if (out.size() > kMaxMessage) out.resize(kMaxMessage);
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) c = ' ';
  }
  return out;
}

// google.protobuf.Duration { int64 seconds = 1; int32 nanos = 2; }, clamped to an hour.
std::optional<milliseconds> read_duration(std::string_view bytes) {
  ProtoReader r(bytes);
  std::uint32_t field = 0;
  WireType type{};
  std::int64_t seconds = 0;
  std::int64_t nanos = 0;
  while (r.next(field, type)) {
    if (field == 1 && type == WireType::kVarint) {
      seconds = static_cast<std::int64_t>(r.varint());
    } else if (field == 2 && type == WireType::kVarint) {
      nanos = static_cast<std::int32_t>(r.varint());
    } else {
      r.skip(type);
    }
  }
  if (!r.ok() || seconds < 0 || nanos < 0) return std::nullopt;
  if (seconds >= kMaxRetryDelayMs / 1000) return milliseconds(kMaxRetryDelayMs);
  return milliseconds(seconds * 1000 + (nanos + 999'999) / 1'000'000);
}

// The retry_delay (field 1) of a RetryInfo message.
std::optional<milliseconds> read_retry_info(std::string_view bytes) {
  ProtoReader r(bytes);
  std::uint32_t field = 0;
  WireType type{};
  std::optional<milliseconds> delay;
  while (r.next(field, type)) {
    if (field == 1 && type == WireType::kLengthDelimited) {
      delay = read_duration(r.length_delimited());
    } else {
      r.skip(type);
    }
  }
  return r.ok() ? delay : std::nullopt;
}

// google.protobuf.Any { string type_url = 1; bytes value = 2; } holding a RetryInfo.
std::optional<milliseconds> read_any_retry_info(std::string_view bytes) {
  ProtoReader r(bytes);
  std::uint32_t field = 0;
  WireType type{};
  std::string_view type_url;
  std::string_view value;
  while (r.next(field, type)) {
    if (field == 1 && type == WireType::kLengthDelimited) {
      type_url = r.length_delimited();
    } else if (field == 2 && type == WireType::kLengthDelimited) {
      value = r.length_delimited();
    } else {
      r.skip(type);
    }
  }
  if (!r.ok() || type_url != kRetryInfoType) return std::nullopt;
  return read_retry_info(value);
}

int grpc_code_for_http_status(long status) noexcept {
  switch (status) {
    case 400:
      return static_cast<int>(GrpcCode::kInternal);
    case 401:
      return static_cast<int>(GrpcCode::kUnauthenticated);
    case 403:
      return 7;  // PERMISSION_DENIED
    case 404:
      return static_cast<int>(GrpcCode::kUnimplemented);
    case 429:
    case 502:
    case 503:
    case 504:
      return static_cast<int>(GrpcCode::kUnavailable);
    default:
      return static_cast<int>(GrpcCode::kUnknown);
  }
}

}  // namespace

std::string grpc_code_name(int code) {
  static constexpr std::array<std::string_view, 17> kNames{
      "OK",
      "CANCELLED",
      "UNKNOWN",
      "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED",
      "NOT_FOUND",
      "ALREADY_EXISTS",
      "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED",
      "FAILED_PRECONDITION",
      "ABORTED",
      "OUT_OF_RANGE",
      "UNIMPLEMENTED",
      "INTERNAL",
      "UNAVAILABLE",
      "DATA_LOSS",
      "UNAUTHENTICATED",
  };
  if (code >= 0 && static_cast<std::size_t>(code) < kNames.size()) {
    return std::string(kNames[static_cast<std::size_t>(code)]);
  }
  return "code " + std::to_string(code);
}

bool is_retryable_grpc_code(int code, bool has_retry_info) noexcept {
  switch (static_cast<GrpcCode>(code)) {
    case GrpcCode::kCancelled:
    case GrpcCode::kDeadlineExceeded:
    case GrpcCode::kAborted:
    case GrpcCode::kOutOfRange:
    case GrpcCode::kUnavailable:
    case GrpcCode::kDataLoss:
      return true;
    case GrpcCode::kResourceExhausted:
      return has_retry_info;
    default:
      return false;
  }
}

std::string grpc_frame(std::string_view message, bool compressed) {
  const auto size = static_cast<std::uint32_t>(message.size());
  std::string out;
  out.reserve(5 + message.size());
  out.push_back(compressed ? '\1' : '\0');
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((size >> shift) & 0xFF));
  out.append(message);
  return out;
}

std::optional<std::string_view> grpc_unframe(std::string_view body) noexcept {
  if (body.size() < 5 || body[0] != '\0') return std::nullopt;
  std::uint32_t size = 0;
  for (int i = 1; i <= 4; ++i)
    size = (size << 8) | static_cast<unsigned char>(body[static_cast<std::size_t>(i)]);
  if (size != body.size() - 5) return std::nullopt;
  return body.substr(5);
}

std::string grpc_timeout_value(milliseconds timeout) {
  constexpr std::int64_t kMaxDigits = 99'999'999;  // the header allows 8 digits
  std::int64_t amount = std::max<std::int64_t>(1, timeout.count());
  for (const auto& [unit, factor] : {std::pair{'m', 1}, {'S', 1000}, {'M', 60}, {'H', 60}}) {
    if (factor > 1) amount = (amount + factor - 1) / factor;
    if (amount <= kMaxDigits) return std::to_string(amount) + unit;
  }
  return std::to_string(kMaxDigits) + "H";
}

std::optional<milliseconds> grpc_retry_delay(std::string_view details_base64) {
  const std::optional<std::string> status = base64_decode(details_base64);
  if (!status) return std::nullopt;
  ProtoReader r(*status);  // google.rpc.Status { int32 code = 1; string message = 2; repeated Any
                           // details = 3; }
  std::uint32_t field = 0;
  WireType type{};
  std::optional<milliseconds> delay;
  while (r.next(field, type)) {
    if (field == 3 && type == WireType::kLengthDelimited) {
      if (auto d = read_any_retry_info(r.length_delimited())) delay = d;
    } else {
      r.skip(type);
    }
  }
  return r.ok() ? delay : std::nullopt;
}

AttemptVerdict grpc_verdict(const HttpResponse& response) {
  std::optional<int> code;
  std::string message;
  std::optional<milliseconds> retry_delay;
  for (const auto& [name, value] : response.fields) {
    if (name == "grpc-status") {
      int parsed = 0;
      bool digits = !value.empty() && value.size() <= 3;
      for (char c : value) {
        digits = digits && c >= '0' && c <= '9';
        parsed = parsed * 10 + (c - '0');
      }
      code = digits ? parsed : static_cast<int>(GrpcCode::kUnknown);
    } else if (name == "grpc-message") {
      message = decode_grpc_message(value);
    } else if (name == "grpc-status-details-bin") {
      retry_delay = grpc_retry_delay(value);
    }
  }
  AttemptVerdict v;
  if (!code) {
    // No status: a proxy answered, or the stream ended early (PROTOCOL-HTTP2.md's mapping).
    code = response.status == 200 ? static_cast<int>(GrpcCode::kInternal)
                                  : grpc_code_for_http_status(response.status);
    if (message.empty()) {
      message = response.status == 200 ? "the response carried no grpc-status"
                                       : "HTTP " + std::to_string(response.status);
    }
  }
  v.delivered = *code == static_cast<int>(GrpcCode::kOk);
  if (v.delivered) return v;
  v.retryable = is_retryable_grpc_code(*code, retry_delay.has_value());
  v.retry_delay = retry_delay;
  v.error = "gRPC status " + grpc_code_name(*code);
  if (!message.empty()) v.error += ": " + message;
  return v;
}

}  // namespace lumen::exporters::detail
