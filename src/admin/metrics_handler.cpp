#include "lumen/admin/admin_server.hpp"
#include "lumen/metrics/meter.hpp"
#include "lumen/metrics/prometheus.hpp"

namespace lumen::admin {

AdminHandler metrics_handler(const metrics::MeterProvider& provider) {
  return [&provider](const AdminRequest& request) {
    if (request.method != "GET" && request.method != "HEAD") {
      return AdminResponse{.status = 405, .body = "use GET\n", .headers = {{"Allow", "GET, HEAD"}}};
    }
    const auto format = metrics::negotiate_exposition_format(request.accept);
    AdminResponse response{.content_type = std::string(metrics::content_type(format))};
    metrics::serialize(provider.collect(), format, response.body);
    return response;
  };
}

}  // namespace lumen::admin
