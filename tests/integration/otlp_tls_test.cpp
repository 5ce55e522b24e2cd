// OTLP over https:// with the OpenTelemetry TLS variables: a real TLS server on 127.0.0.1 (Python's
// ssl module, tests/tools/tls_receiver.py) with a CA, a server and a client certificate made by the
// openssl command for each test. The export succeeds with the CA and the client certificate, and
// fails, counted and without a crash, when either is missing.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "lumen/config.hpp"
#include "lumen/export/otlp_http_exporter.hpp"
#include "lumen/runtime.hpp"
#include "test_certificates.hpp"

namespace lumen::exporters {
namespace {

using namespace std::chrono_literals;
using lumen::testing::TestCertificates;

// The Python TLS server, stopped (SIGTERM) when this goes out of scope.
class TlsReceiver {
 public:
  explicit TlsReceiver(const TestCertificates& certs) {
    const std::string command = "/usr/bin/python3 " + std::string(LUMEN_TEST_TOOLS_DIR) +
                                "/tls_receiver.py " + certs.file("server.pem") + " " +
                                certs.file("server.key") + " " + certs.file("ca.pem") + " 60";
    pipe_ = popen(command.c_str(), "r");
    if (pipe_ != nullptr && std::fscanf(pipe_, "%hu %d", &port_, &pid_) != 2) port_ = 0;
  }
  ~TlsReceiver() {
    if (pid_ > 0) kill(pid_, SIGTERM);
    if (pipe_ != nullptr) pclose(pipe_);
  }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::string url() const {
    return "https://127.0.0.1:" + std::to_string(port_) + "/v1/traces";
  }

 private:
  FILE* pipe_ = nullptr;
  std::uint16_t port_ = 0;
  pid_t pid_ = 0;
};

std::vector<std::unique_ptr<trace::SpanData>> one_span() {
  auto span = std::make_unique<trace::SpanData>();
  span->context = SpanContext(*TraceId::from_hex("0af7651916cd43dd8448eb211c80319c"),
                              *SpanId::from_hex("b7ad6b7169203331"), SpanContext::kSampledFlag);
  span->name = "tls";
  std::vector<std::unique_ptr<trace::SpanData>> batch;
  batch.push_back(std::move(span));
  return batch;
}

// Exports one span with these TLS files; the exporter's stats afterwards.
OtlpHttpExporterStats export_with(const TlsReceiver& receiver, TlsFiles tls,
                                  std::vector<std::string>& reports) {
  OtlpHttpExporter exporter({.endpoint = receiver.url(),
                             .timeout = 10s,
                             .tls = std::move(tls),
                             .max_attempts = 1,
                             .report = [&](const std::string& line) { reports.push_back(line); }});
  (void)exporter.export_spans(one_span(), std::chrono::steady_clock::now() + 10s);
  return exporter.stats();
}

TEST(OtlpTls, ExportSucceedsWithTheCaAndClientCertificateAndFailsCountedWithoutThem) {
  const TestCertificates certs;
  ASSERT_TRUE(certs.ok()) << certs.error();
  const TlsReceiver receiver(certs);
  ASSERT_NE(receiver.port(), 0);

  std::vector<std::string> reports;
  const TlsFiles all{.ca_file = certs.file("ca.pem"),
                     .client_certificate = certs.file("client.pem"),
                     .client_key = certs.file("client.key")};
  OtlpHttpExporterStats stats = export_with(receiver, all, reports);
  EXPECT_EQ(stats.spans_exported, 1u) << stats.last_error;
  EXPECT_EQ(stats.spans_failed, 0u);

  // Without the CA the server's certificate is not trusted.
  TlsFiles no_ca = all;
  no_ca.ca_file.clear();
  stats = export_with(receiver, no_ca, reports);
  EXPECT_EQ(stats.spans_exported, 0u);
  EXPECT_EQ(stats.spans_failed, 1u);
  EXPECT_FALSE(stats.last_error.empty());

  // Without the client certificate the server refuses the handshake.
  const TlsFiles no_client{.ca_file = certs.file("ca.pem")};
  stats = export_with(receiver, no_client, reports);
  EXPECT_EQ(stats.spans_exported, 0u);
  EXPECT_EQ(stats.spans_failed, 1u);

  // A CA file that does not exist fails the export, not the process.
  stats = export_with(receiver, {.ca_file = certs.file("missing.pem")}, reports);
  EXPECT_EQ(stats.spans_failed, 1u);
}

TEST(OtlpTls, TheEnvironmentsTlsVariablesReachTheConnection) {
  const TestCertificates certs;
  ASSERT_TRUE(certs.ok()) << certs.error();
  const TlsReceiver receiver(certs);
  ASSERT_NE(receiver.port(), 0);
  Runtime rt(Config::from_env(Environment({
      {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.url()},
      {"OTEL_EXPORTER_OTLP_CERTIFICATE", certs.file("ca.pem")},
      {"OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE", certs.file("client.pem")},
      {"OTEL_EXPORTER_OTLP_CLIENT_KEY", certs.file("client.key")},
      {"OTEL_METRICS_EXPORTER", "none"},
  })));
  rt.tracer().trace("over.tls", [] {});
  ASSERT_TRUE(rt.flush(10s));
  EXPECT_EQ(rt.span_stats().exported, 1u);
  EXPECT_EQ(rt.span_stats().export_failed, 0u);
}

}  // namespace
}  // namespace lumen::exporters
