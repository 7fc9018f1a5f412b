// The LibTorch trainers as a module the CLI loads with dlopen only when it trains or predicts, so
// other commands (ingest, simulate, export) don't pay LibTorch's ~0.5 s start-up. It uses the
// same entry point as any plugin: built-ins are not privileged.
#include "pipeline/cli/commands.h"
#include "pipeline/plugin.h"
#include "stages/train/register_train.h"

SNPFLOW_PLUGIN("torch-trainers", SNPFLOW_VERSION, "LibTorch trainers: dietnet, mlp, mlp-improved") {
  snpflow::RegisterTrainStages(registry);
}

/// `snpflow predict`, resolved by the CLI with dlsym. Same toolchain and libstdc++ on both
/// sides (the CLI and this module are built together), so C++ exceptions pass through.
extern "C" __attribute__((visibility("default"))) int snpflow_torch_predict(
    const snpflow::cli::Args* args) {
  return snpflow::cli::PredictCommand(*args);
}
