#include <sys/resource.h>

#include "gateway_impl.hpp"

namespace beautifyai {
namespace detail {

double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace detail

using namespace detail;

AdminResponse Gateway::Impl::control_stats() {
  const GatewayStats s{answered.load(),
                       upstream.stats().calls,
                       upstream.stats().inputs,
                       upstream.stats().bytes_sent,
                       bytes_in.load(),
                       bytes_out.load(),
                       served_without_model.load(),
                       rejected.load(),
                       process_cpu_seconds()};
  json breakers = json::object();
  for (const auto& [model, b] : router.breakers()) {
    breakers[model] = {{"state", to_string(b.state)},
                       {"opened", b.opened},
                       {"rejected", b.rejected},
                       {"last_recovery_ms", b.last_recovery_ms}};
  }
  const auto c = cache.stats();
  const WorkerPoolStats w = workers.stats();
  return json_answer(200, {{"requests", s.requests},
                           {"upstream_calls", s.upstream_calls},
                           {"upstream_inputs", s.upstream_inputs},
                           {"upstream_bytes", s.upstream_bytes},
                           {"image_bytes_in", s.image_bytes_in},
                           {"image_bytes_out", s.image_bytes_out},
                           {"served_without_model", s.cache_hits},
                           {"rejected", s.rejected},
                           {"cpu_seconds", s.cpu_seconds},
                           {"batches", router.batches_sent()},
                           {"coalescer",
                            {{"executions", c.executions},
                             {"coalesced", c.coalesced},
                             {"hits", c.hits},
                             {"entries", c.entries}}},
                           {"queue",
                            {{"depth", w.depth},
                             {"busy", w.busy},
                             {"rejected", w.rejected},
                             {"submitted", submitted.load()}}},
                           {"breakers", breakers}});
}

AdminResponse Gateway::Impl::control_optimizations(const AdminRequest& request) {
  Optimizations o{coalescing.load(), router.batching(), images_on.load(),
                  sampler ? sampler->enabled() : true};
  if (request.method == "POST") {
    const json body = json::parse(request.body, nullptr, false);
    if (!body.is_object())
      return json_answer(400, error_body("bad_request", "expected a JSON object"));
    for (auto [name, flag] :
         {std::pair{"coalescing", &o.coalescing}, std::pair{"batching", &o.batching},
          std::pair{"images", &o.images}, std::pair{"tracing", &o.tracing}}) {
      if (!body.contains(name)) continue;
      if (!body[name].is_boolean()) {
        return json_answer(
            400, error_body("bad_request", std::string("\"") + name + "\" must be true or false"));
      }
      *flag = body[name].get<bool>();
    }
    set_optimizations(o);
    if (body.value("clear_cache", false)) cache.invalidate();
  }
  return json_answer(200, {{"coalescing", o.coalescing},
                           {"batching", o.batching},
                           {"images", o.images},
                           {"tracing", o.tracing}});
}

}  // namespace beautifyai
