// PricingTable: what one AI provider model costs per 1,000 input and output tokens (USD), for the
// report's cost figures. A built-in default covers the models BeautifyAI uses; a JSON file replaces
// or extends it:
//
//   {"models": {"gemini-2.0-flash": {"input_per_1k": 0.0001, "output_per_1k": 0.0004}},
//    "default": {"input_per_1k": 0.001, "output_per_1k": 0.002}}
//
//   lumen::report::PricingTable prices = lumen::report::PricingTable::load("pricing.json");
//   double usd = prices.cost("gpt-4o-mini", /*input=*/1200, /*output=*/300);
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
  // gemini-2.0-flash, gemini-1.5-pro, gpt-4o-mini, claude-3-haiku at their published list prices
  // (late 2024), and a fallback for unknown models.
  [[nodiscard]] static PricingTable defaults();
  // The defaults, with the file's models and default replacing them. Throws lumen::Error when the
  // file cannot be read or is not the JSON above.
  [[nodiscard]] static PricingTable load(const std::string& path);
  [[nodiscard]] static PricingTable parse(std::string_view json);  // same, from text

  [[nodiscard]] const ModelPrice& price(std::string_view model) const;
  [[nodiscard]] double cost(std::string_view model, double input_tokens,
                            double output_tokens) const;
  // Tokens whose direction is unknown are priced at the mean of the two prices.
  [[nodiscard]] double cost_undirected(std::string_view model, double tokens) const;

  std::map<std::string, ModelPrice, std::less<>> models;
  ModelPrice fallback{0.001, 0.002};
};

}  // namespace lumen::report
