// A real gRPC server lumen did not write, scripted for the OTLP/gRPC tests:
// tests/tools/grpc_otlp_server.py on Debian's python3-grpcio, run as a child process on
// 127.0.0.1. It records every request (method, metadata, the deadline the client gave, the message
// bytes) and answers each with the next scripted status (see the script's header for the fields).
//
//   GrpcOtlpServer server({{{"code", "UNAVAILABLE"}}, nlohmann::json::object()});  // then OK
//   exporter options: .protocol = OtlpProtocol::kGrpc, .endpoint = server.endpoint()
//   ASSERT_TRUE(eventually([&] { return server.requests().size() == 2; }));
//
// Throws std::runtime_error if the server does not start (no python3-grpcio: the test fails).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace lumen::testing {

struct GrpcRequest {
  std::string method;                                         // /package.Service/Method
  std::vector<std::pair<std::string, std::string>> metadata;  // as grpcio hands it to handlers
  std::optional<double> time_remaining;                       // seconds; nullopt: no grpc-timeout
  double arrived = 0;                                         // server's monotonic clock, seconds
  std::string message;                                        // decompressed by grpcio

  [[nodiscard]] std::optional<std::string> metadata_value(const std::string& key) const;
};

// The server's side of mutual TLS: its certificate and key, and the CA its clients' certificates
// must be signed by (see test_certificates.hpp).
struct GrpcServerTls {
  std::string certificate;
  std::string key;
  std::string client_ca;
};

class GrpcOtlpServer {
 public:
  // `responses`: one JSON object per request, the last one repeating. identity_only: the server
  // refuses compressed requests. With tls, the port speaks only TLS and requires a client
  // certificate.
  explicit GrpcOtlpServer(
      nlohmann::json responses = nlohmann::json::array({nlohmann::json::object()}),
      bool identity_only = false, std::optional<GrpcServerTls> tls = std::nullopt);
  ~GrpcOtlpServer();
  GrpcOtlpServer(const GrpcOtlpServer&) = delete;
  GrpcOtlpServer& operator=(const GrpcOtlpServer&) = delete;

  [[nodiscard]] std::string endpoint() const {
    return (tls_ ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port_);
  }
  // Requests whose answer was decided, in arrival order.
  [[nodiscard]] std::vector<GrpcRequest> requests() const;

 private:
  void stop();  // kills the server and removes its records

  std::string dir_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  bool tls_ = false;
};

}  // namespace lumen::testing
