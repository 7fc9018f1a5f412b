#pragma once
/// The built-in baseline trainers: `naive-bayes` and `nearest-centroid` (torch-free, in
/// libsnpflow; stages/baseline_trainers.cc) and `linear` (LibTorch;
/// stages/train/linear_trainer.cc).
#include "pipeline/registry.h"

namespace snpflow {

/// A baseline's fold directory holds this file (`kind = naive-bayes`) instead of model.pt;
/// `snpflow predict` reads it to say that it does not load baselines.
inline constexpr const char* kBaselineInfoFile = "baseline.txt";

/// Register naive-bayes and nearest-centroid (role: trainer) in `registry`.
void RegisterBaselineTrainers(StageRegistry& registry);

}  // namespace snpflow
