// The gateway and the model simulator read what a model can do from one table
// (lumen/beautifyai/model_catalog.hpp): the gateway never micro-batches a model that the simulator
// would refuse a batch for.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "model_router.hpp"
#include "model_simulator.hpp"

namespace {

TEST(ModelCatalog, EveryModelTheGatewayBatchesHasABatchEndpointInModelsim) {
  std::vector<modelsim::ModelSpec> served = modelsim::default_models();
  std::set<std::string> names;
  for (modelsim::ModelSpec& spec : served) {
    spec.failure_rate = 0;  // a refusal, not bad luck, is what this looks for
    names.insert(spec.name);
  }
  modelsim::ModelSimulator simulator(served, 1);
  for (const beautifyai::ModelInfo& model : beautifyai::default_models()) {
    ASSERT_TRUE(names.count(model.name)) << model.name << " is not served by modelsim";
    if (!model.batch_endpoint) continue;
    const modelsim::Outcome outcome =
        simulator.call(model.name, {"first document", "second document"});
    EXPECT_EQ(outcome.status, 200) << model.name << ": " << outcome.error;
  }
}

}  // namespace
