#include "lumen/beautifyai/model_catalog.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <string>

#include "lumen/beautifyai/report_profile.hpp"

namespace lumen::beautifyai {
namespace {

TEST(ModelCatalog, TheHeaderExampleRuns) {
  for (const lumen::beautifyai::ModelCapabilities& model : lumen::beautifyai::model_catalog()) {
    if (model.batch_endpoint) std::printf("%s takes several documents per call\n", model.name);
  }
}

TEST(ModelCatalog, NamesEachModelOnceAndPricesItInTheReport) {
  std::set<std::string> names;
  const report::PricingTable prices = model_prices();
  for (const ModelCapabilities& model : model_catalog()) {
    EXPECT_TRUE(names.insert(model.name).second) << model.name << " is listed twice";
    ASSERT_TRUE(prices.models.count(model.name)) << model.name;
    EXPECT_EQ(prices.price(model.name).input_per_1k, model.input_usd_per_1k_tokens);
    EXPECT_EQ(prices.price(model.name).output_per_1k, model.output_usd_per_1k_tokens);
  }
  EXPECT_EQ(prices.models.size(), names.size());
}

}  // namespace
}  // namespace lumen::beautifyai
