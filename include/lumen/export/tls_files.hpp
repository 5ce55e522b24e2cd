// TlsFiles: the PEM files an exporter's https:// connection uses, as the OpenTelemetry variables
// OTEL_EXPORTER_OTLP_[TRACES_|METRICS_]CERTIFICATE, _CLIENT_CERTIFICATE and _CLIENT_KEY name them.
// Empty members leave libcurl's defaults: the system's trusted CAs and no client certificate.
// The files are read when a connection is made; one that is missing or wrong makes the export
// fail (counted and reported like any failed export), never the process.
//
//   lumen::exporters::OtlpHttpExporterOptions otlp{.endpoint = "https://collector:4318/v1/traces"};
//   otlp.tls = {.ca_file = "/etc/ssl/collector-ca.pem",
//               .client_certificate = "/etc/ssl/me.pem", .client_key = "/etc/ssl/me.key"};
#pragma once

#include <string>

namespace lumen::exporters {

struct TlsFiles {
  std::string ca_file;             // CAs that sign the server's certificate (replaces the system's)
  std::string client_certificate;  // this client's certificate, for servers that require one (mTLS)
  std::string client_key;          // the client certificate's private key
};

}  // namespace lumen::exporters
