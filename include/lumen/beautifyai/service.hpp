// The reference service's name. The generic core has no default service of its own (it follows the
// OpenTelemetry rule, lumen::default_service_name()), so BeautifyAI's programs set this one
// explicitly: the resource's service.name, the logger's "service" and the tracer and meter names.
//
//   lumen::Runtime rt = lumen::init();  // OTEL_SERVICE_NAME, when set, still wins for the resource
//   lumen::trace::Tracer& tracer = rt.tracer(lumen::beautifyai::kServiceName);
#pragma once

#include <string_view>

namespace lumen::beautifyai {

inline constexpr std::string_view kServiceName = "beautifyai";

}  // namespace lumen::beautifyai
