// A CA, a server certificate for 127.0.0.1 and a client certificate signed by that CA, made by the
// openssl command in a fresh directory that is removed with this object. For the tests that run a
// real TLS server (Python's ssl module, python3-grpcio) on loopback and require a client
// certificate from lumen (mutual TLS).
//
//   const TestCertificates certs;
//   ASSERT_TRUE(certs.ok()) << certs.error();
//   certs.file("ca.pem"), "server.pem", "server.key", "client.pem", "client.key"
#pragma once

#include <string>

namespace lumen::testing {

class TestCertificates {
 public:
  TestCertificates();
  ~TestCertificates();
  TestCertificates(const TestCertificates&) = delete;
  TestCertificates& operator=(const TestCertificates&) = delete;

  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] const std::string& error() const { return error_; }  // openssl's stderr
  [[nodiscard]] std::string file(const std::string& name) const { return dir_ + "/" + name; }

 private:
  std::string dir_;
  bool ok_ = false;
  std::string error_;
};

}  // namespace lumen::testing
