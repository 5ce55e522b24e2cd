#include "lumen/export/console_exporter.hpp"

#include <cstdio>
#include <ctime>

namespace lumen::exporters {
namespace {

// Escapes what would break the one-line-per-span promise or garble a terminal.
void append_escaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
}

void append_utc_time(std::string& out, std::uint64_t unix_ns) {
  const auto seconds = static_cast<std::time_t>(unix_ns / 1'000'000'000ULL);
  const auto micros = static_cast<unsigned>((unix_ns / 1000) % 1'000'000ULL);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[40];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  out.append(buf, n);
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%06uZ", micros);
  out += frac;
}

void append_duration_ms(std::string& out, std::uint64_t ns) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%llu.%03llu", static_cast<unsigned long long>(ns / 1'000'000ULL),
                static_cast<unsigned long long>((ns / 1000) % 1000));
  out += buf;
}

const char* status_name(trace::StatusCode code) noexcept {
  switch (code) {
    case trace::StatusCode::kOk:
      return "OK";
    case trace::StatusCode::kError:
      return "ERROR";
    case trace::StatusCode::kUnset:
      return "UNSET";
  }
  return "UNSET";
}

}  // namespace

std::string ConsoleSpanExporter::format(const trace::SpanData& span) {
  std::string line;
  line.reserve(160 + span.attributes.size() * 24);
  append_utc_time(line, span.start_ns);
  line += " trace=";
  line += span.context.trace_id().to_hex();
  line += " span=";
  line += span.context.span_id().to_hex();
  line += " parent=";
  line += span.parent_span_id.is_valid() ? span.parent_span_id.to_hex() : std::string("-");
  line += " name=";
  append_escaped(line, span.name);
  line += " kind=";
  line += trace::to_string(span.kind);
  line += " duration_ms=";
  append_duration_ms(line, span.duration_ns());
  line += " status=";
  line += status_name(span.status);
  if (!span.status_message.empty()) {
    line += "(\"";
    append_escaped(line, span.status_message);
    line += "\")";
  }
  line += " attributes={";
  bool first = true;
  for (const Attribute& a : span.attributes) {
    if (!first) line += ", ";
    first = false;
    append_escaped(line, a.key);
    line += '=';
    append_escaped(line, to_string(a.value));
  }
  line += "} events=";
  line += std::to_string(span.events.size());
  return line;
}

trace::ExportResult ConsoleSpanExporter::export_spans(trace::SpanBatch batch, Deadline) noexcept {
  if (shut_down_.load(std::memory_order_acquire)) return trace::ExportResult::kFailure;
  try {
    std::string text;
    for (const auto& span : batch) {
      if (!span) continue;
      text += format(*span);
      text += '\n';
    }
    std::lock_guard lock(mutex_);
    out_ << text << std::flush;
    return out_ ? trace::ExportResult::kSuccess : trace::ExportResult::kFailure;
  } catch (...) {
    return trace::ExportResult::kFailure;
  }
}

void ConsoleSpanExporter::shutdown(Deadline) noexcept {
  shut_down_.store(true, std::memory_order_release);
}

}  // namespace lumen::exporters
