// Groups a batch of spans the way an OTLP request nests them: by resource, then by
// instrumentation scope, keeping batch order inside each group. Shared by the protobuf and JSON
// encoders so that both produce the same structure.
#pragma once

#include <vector>

#include "lumen/trace/span_exporter.hpp"

namespace lumen::exporters::detail {

struct ScopeGroup {
  const trace::InstrumentationScope* scope = nullptr;  // null: unknown scope
  std::vector<const trace::SpanData*> spans;
};

struct ResourceGroup {
  const Resource* resource = nullptr;  // null: unknown resource
  std::vector<ScopeGroup> scopes;
};

// A process has one resource and a handful of scopes, so linear searches beat hashing here.
inline std::vector<ResourceGroup> group_by_resource_and_scope(trace::SpanBatch batch) {
  std::vector<ResourceGroup> groups;
  for (const auto& span : batch) {
    if (!span) continue;
    const trace::InstrumentationScope* scope = span->scope.get();
    const Resource* resource = scope ? scope->resource : nullptr;
    ResourceGroup* rg = nullptr;
    for (auto& g : groups) {
      if (g.resource == resource) {
        rg = &g;
        break;
      }
    }
    if (!rg) rg = &groups.emplace_back(ResourceGroup{resource, {}});
    ScopeGroup* sg = nullptr;
    for (auto& g : rg->scopes) {
      if (g.scope == scope) {
        sg = &g;
        break;
      }
    }
    if (!sg) {
      sg = &rg->scopes.emplace_back(ScopeGroup{scope, {}});
      sg->spans.reserve(batch.size());
    }
    sg->spans.push_back(span.get());
  }
  return groups;
}

}  // namespace lumen::exporters::detail
