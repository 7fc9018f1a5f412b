#pragma once
#include "pipeline/registry.h"

namespace snpflow {

void RegisterDecodeGtStage(StageRegistry& registry);  // stages/decode_gt.cc
void RegisterFilterStage(StageRegistry& registry);    // stages/filter.cc
void RegisterCountStage(StageRegistry& registry);     // stages/count.cc
void RegisterStoreStages(StageRegistry& registry);    // stages/store.cc

/// Register every torch-free built-in stage in `registry`, in one visible list.
void RegisterBuiltinStages(StageRegistry& registry);

}  // namespace snpflow
