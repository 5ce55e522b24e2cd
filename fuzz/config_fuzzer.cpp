// Configuration from the environment: Config::from_env (OTEL_*, LOG_*, METRICS_*, the resource
// attributes, the sampler and its argument, exporter headers) and the REDIS_URL a RedisClient
// reads. The input is "NAME=value" lines. Any value is accepted (an OTEL_* value that cannot be
// used falls back to its default with a warning) or refused with lumen::Error (whose message names
// what is wrong); never a crash or another exception.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "fuzz_check.hpp"
#include "lumen/config.hpp"
#include "lumen/core/error.hpp"
#include "lumen/perf/redis_client.hpp"

namespace {

std::map<std::string, std::string> variables(std::string_view text) {
  std::map<std::string, std::string> out;
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    out[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::map<std::string, std::string> vars = variables(lumen::fuzz::as_text(data, size));
  vars["OTEL_LOG_LEVEL"] = "none";  // the warnings would flood the fuzzer's output
  const lumen::Environment env(vars);
  try {
    (void)lumen::Config::from_env(env, "fuzzed-service");
  } catch (const lumen::Error& e) {
    FUZZ_CHECK(e.what()[0] != '\0');
  }
  if (const auto url = env.get("REDIS_URL")) {
    try {
      const lumen::perf::RedisEndpoint endpoint = lumen::perf::parse_redis_url(*url);
      FUZZ_CHECK(!endpoint.host.empty() && endpoint.port != 0 && endpoint.db >= 0);
    } catch (const lumen::Error& e) {
      FUZZ_CHECK(e.what()[0] != '\0');
    }
  }
  return 0;
}
