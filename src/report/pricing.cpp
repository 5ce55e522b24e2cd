#include "lumen/report/pricing.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "lumen/core/error.hpp"

namespace lumen::report {
namespace {

ModelPrice parse_price(const nlohmann::json& j, const std::string& what) {
  if (!j.is_object() || !j.contains("input_per_1k") || !j.contains("output_per_1k") ||
      !j["input_per_1k"].is_number() || !j["output_per_1k"].is_number()) {
    throw Error("pricing: " + what +
                " needs numeric \"input_per_1k\" and \"output_per_1k\" (USD per 1,000 tokens)");
  }
  ModelPrice p{j["input_per_1k"].get<double>(), j["output_per_1k"].get<double>()};
  if (p.input_per_1k < 0 || p.output_per_1k < 0)
    throw Error("pricing: " + what + " has a negative price");
  return p;
}

}  // namespace

PricingTable PricingTable::parse(std::string_view text, PricingTable base) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) throw Error("pricing: the file is not a JSON object");
  PricingTable t = std::move(base);
  if (j.contains("models")) {
    if (!j["models"].is_object()) throw Error("pricing: \"models\" must be an object");
    for (const auto& [name, price] : j["models"].items()) {
      t.models[name] = parse_price(price, "model " + name);
    }
  }
  if (j.contains("default")) t.fallback = parse_price(j["default"], "\"default\"");
  return t;
}

PricingTable PricingTable::load(const std::string& path, PricingTable base) {
  std::ifstream in(path);
  if (!in)
    throw Error("pricing: cannot read " + path + " (set REPORT_PRICING_FILE to a readable file)");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), std::move(base));
}

const ModelPrice& PricingTable::price(std::string_view model) const {
  const auto it = models.find(model);
  return it == models.end() ? fallback : it->second;
}

double PricingTable::cost(std::string_view model, double input_tokens, double output_tokens) const {
  const ModelPrice& p = price(model);
  return input_tokens / 1000.0 * p.input_per_1k + output_tokens / 1000.0 * p.output_per_1k;
}

double PricingTable::cost_undirected(std::string_view model, double tokens) const {
  const ModelPrice& p = price(model);
  return tokens / 1000.0 * (p.input_per_1k + p.output_per_1k) / 2.0;
}

}  // namespace lumen::report
