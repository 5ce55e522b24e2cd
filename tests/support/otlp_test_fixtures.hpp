// Shared pieces of the OTLP integration tests: a sink that collects the exporter's report lines,
// exporter options aimed at a test receiver (with short backoffs), a batch of finished spans under
// a fixed resource and scope, and accessors for decoded payloads.
//
//   lumen::testing::Reports reports;
//   lumen::exporters::OtlpHttpExporter exporter(lumen::testing::otlp_options_for(receiver,
//   reports)); lumen::testing::SpanBatchFixture batch(3); exporter.export_spans(batch.spans(),
//   deadline);
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/id_generator.hpp"
#include "http_receiver.hpp"
#include "lumen/export/otlp_http_exporter.hpp"
#include "otlp_decoder.hpp"

namespace lumen::testing {

// Collects report lines; thread-safe.
class Reports {
 public:
  std::function<void(const std::string&)> sink() {
    return [this](const std::string& line) {
      std::lock_guard lock(mutex_);
      lines_.push_back(line);
    };
  }
  [[nodiscard]] std::vector<std::string> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

// Short backoffs keep retry tests fast; deadline tests set their own timeout.
inline exporters::OtlpHttpExporterOptions otlp_options_for(const HttpReceiver& receiver,
                                                           Reports& reports) {
  return exporters::OtlpHttpExporterOptions{
      .endpoint = receiver.url("/v1/traces"),
      .timeout = std::chrono::seconds(5),
      .initial_backoff = std::chrono::milliseconds(1),
      .max_backoff = std::chrono::milliseconds(20),
      .report = reports.sink(),
  };
}

// Finished spans of one trace under resource {service.name: batch-test} and scope lumen.test 1.2.3.
class SpanBatchFixture {
 public:
  explicit SpanBatchFixture(std::size_t n) {
    const TraceId trace = IdGenerator::trace_id();
    for (std::size_t i = 0; i < n; ++i) {
      auto span = std::make_unique<trace::SpanData>();
      span->context = SpanContext(trace, IdGenerator::span_id(), SpanContext::kSampledFlag);
      span->name = "span-" + std::to_string(i);
      span->start_ns = 1'700'000'000'000'000'000ULL + i;
      span->end_ns = span->start_ns + 1000;
      span->scope = scope_;
      spans_.push_back(std::move(span));
    }
  }
  SpanBatchFixture(const SpanBatchFixture&) = delete;
  SpanBatchFixture& operator=(const SpanBatchFixture&) = delete;

  [[nodiscard]] trace::SpanBatch spans() const { return spans_; }
  [[nodiscard]] std::string span_id(std::size_t i) const {
    return spans_[i]->context.span_id().to_hex();
  }

 private:
  Resource resource_{Attributes{{"service.name", "batch-test"}}};
  std::shared_ptr<const trace::InstrumentationScope> scope_ =
      std::make_shared<const trace::InstrumentationScope>(
          trace::InstrumentationScope{"lumen.test", "1.2.3", &resource_});
  std::vector<std::unique_ptr<trace::SpanData>> spans_;
};

// The first span of a protobuf request body, decoded by the independent decoder.
inline nlohmann::json first_decoded_span(const ReceivedRequest& request) {
  const nlohmann::json decoded = decode_otlp_traces(request.body);
  return decoded["message"]["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
}

// The AnyValue of attribute `key` in a decoded object's "attributes"; null if absent.
inline nlohmann::json decoded_attribute(const nlohmann::json& holder, const std::string& key) {
  for (const auto& kv : holder.value("attributes", nlohmann::json::array())) {
    if (kv["key"] == key) return kv["value"];
  }
  return nullptr;
}

// A loopback port where nothing listens: connecting is refused.
inline std::uint16_t closed_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  const bool ok = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  if (fd >= 0) ::close(fd);
  if (!ok) throw std::runtime_error("closed_loopback_port: cannot bind 127.0.0.1");
  return ntohs(addr.sin_port);
}

}  // namespace lumen::testing
