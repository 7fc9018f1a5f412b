#pragma once
/// `linear`: multinomial logistic regression with L2 chosen on validation (LibTorch).
#include "pipeline/registry.h"

namespace snpflow {

/// Register the `linear` trainer stage in `registry` (from the LibTorch module).
void RegisterLinearTrainer(StageRegistry& registry);

}  // namespace snpflow
