// PricingTable: what a priced call costs per 1,000 input and output units (USD; for an AI provider
// the units are tokens and the key is the model), for the report's cost figures. An empty table
// prices everything at zero; a service's ReportProfile brings its own table, and a JSON file
// replaces or extends it:
//
//   {"models": {"fast-model": {"input_per_1k": 0.0001, "output_per_1k": 0.0004}},
//    "default": {"input_per_1k": 0.001, "output_per_1k": 0.002}}
//
//   lumen::report::PricingTable prices = lumen::report::PricingTable::load("pricing.json", base);
//   double usd = prices.cost("fast-model", /*input=*/1200, /*output=*/300);
//
// Thread safety: const methods may be called concurrently.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace lumen::report {

struct ModelPrice {
  double input_per_1k = 0;
  double output_per_1k = 0;
};

class PricingTable {
 public:
  // `base`, with the file's models and default replacing its entries. Throws lumen::Error when the
  // file cannot be read or is not the JSON above.
  [[nodiscard]] static PricingTable load(const std::string& path, PricingTable base = {});
  [[nodiscard]] static PricingTable parse(std::string_view json, PricingTable base = {});

  [[nodiscard]] const ModelPrice& price(std::string_view model) const;
  [[nodiscard]] double cost(std::string_view model, double input_tokens,
                            double output_tokens) const;
  // Tokens whose direction is unknown are priced at the mean of the two prices.
  [[nodiscard]] double cost_undirected(std::string_view model, double tokens) const;

  std::map<std::string, ModelPrice, std::less<>> models;
  ModelPrice fallback;  // for keys not in models
};

}  // namespace lumen::report
