// The simulator's HTTP API, served by lumen's AdminServer (delayed answers hold no thread):
//   POST /v1/generate?model=M   {"input": "..."}             one document
//   POST /v1/batch?model=M      {"inputs": ["...", ...]}      many documents, one call overhead
//   GET  /v1/models                                            the models and their behaviour
//   GET  /v1/stats                                             calls, tokens and cost per model
//   POST /control/scenario      {"model": M, "scenario": "normal|slow|down|ratelimited"}
// Answers are JSON. 429 and 503 carry Retry-After; bad requests get 400 with {"error": ...}.
#pragma once

#include "lumen/admin/admin_server.hpp"
#include "model_simulator.hpp"

namespace modelsim {

// `simulator` must outlive the server.
void add_routes(lumen::admin::AdminServer& server, ModelSimulator& simulator);

}  // namespace modelsim
