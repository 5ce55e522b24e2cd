#include "test_certificates.hpp"

#include <stdlib.h>

#include <filesystem>

#include "program_run.hpp"

namespace lumen::testing {

TestCertificates::TestCertificates() {
  std::string pattern = "/tmp/lumen-tls-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    error_ = "mkdtemp failed";
    return;
  }
  dir_ = pattern;
  const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  const std::string script =
      "{ set -e; cd " + dir_ + "; " + "openssl req -x509 " + key +
      " -keyout ca.key -out ca.pem -days 1 -subj '/CN=lumen test CA'; " + "openssl req " + key +
      " -keyout server.key -out server.csr -subj '/CN=127.0.0.1'; " +
      "printf 'subjectAltName=IP:127.0.0.1\\n' > server.ext; " +
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 " +
      "-extfile server.ext -out server.pem; " + "openssl req " + key +
      " -keyout client.key -out client.csr -subj '/CN=lumen client'; " +
      "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 " +
      "-out client.pem; }";
  const ProgramRun run = run_program(script);
  ok_ = run.status == 0;
  error_ = run.err;
}

TestCertificates::~TestCertificates() {
  std::error_code ignored;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
}

}  // namespace lumen::testing
