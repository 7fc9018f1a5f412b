#pragma once
#include "pipeline/registry.h"

namespace snpflow {

/// Register every torch-free built-in stage (decode-gt, filter, count, store) in `registry`.
void RegisterBuiltinStages(StageRegistry& registry);

}  // namespace snpflow
