// Groups a batch of spans the way an OTLP request nests them: by resource, then by
// instrumentation scope, keeping batch order inside each group. Shared by the protobuf and JSON
// encoders so that both produce the same structure.
#pragma once

#include <vector>

#include "export/mixed_span_batch.hpp"
#include "lumen/trace/internal/span_record.hpp"
#include "lumen/trace/span_exporter.hpp"

namespace lumen::exporters::detail {

struct ScopeGroup {
  const trace::InstrumentationScope* scope = nullptr;  // null: unknown scope
  std::vector<const trace::SpanData*> spans;
  std::vector<const trace::detail::SpanRecord*> records;  // after the spans, in batch order
};

struct ResourceGroup {
  const Resource* resource = nullptr;  // null: unknown resource
  std::vector<ScopeGroup> scopes;
};

// The group of `scope`, made if `groups` has none yet. A process has one resource and a handful of
// scopes, so linear searches beat hashing here.
inline ScopeGroup& scope_group(std::vector<ResourceGroup>& groups,
                               const trace::InstrumentationScope* scope) {
  const Resource* resource = scope ? scope->resource : nullptr;
  ResourceGroup* rg = nullptr;
  for (auto& g : groups) {
    if (g.resource == resource) {
      rg = &g;
      break;
    }
  }
  if (!rg) rg = &groups.emplace_back(ResourceGroup{resource, {}});
  for (auto& g : rg->scopes) {
    if (g.scope == scope) return g;
  }
  return rg->scopes.emplace_back(ScopeGroup{scope, {}, {}});
}

inline std::vector<ResourceGroup> group_by_resource_and_scope(MixedSpanBatch batch) {
  std::vector<ResourceGroup> groups;
  for (const auto& span : batch.spans) {
    if (!span) continue;
    ScopeGroup& group = scope_group(groups, span->scope.get());
    if (group.spans.empty()) group.spans.reserve(batch.spans.size());
    group.spans.push_back(span.get());
  }
  for (const trace::detail::SpanRecord* record : batch.records) {
    ScopeGroup& group = scope_group(groups, record->scope.get());
    if (group.records.empty()) group.records.reserve(batch.records.size());
    group.records.push_back(record);
  }
  return groups;
}

inline std::vector<ResourceGroup> group_by_resource_and_scope(trace::SpanBatch batch) {
  return group_by_resource_and_scope(MixedSpanBatch{batch, {}});
}

}  // namespace lumen::exporters::detail
