// The LibTorch trainers as a module the CLI loads with dlopen only when it trains or predicts, so
// other commands (ingest, simulate, export) don't pay LibTorch's ~0.5 s start-up. It uses the
// same entry point as any plugin: built-ins are not privileged.
#include "pipeline/plugin.h"
#include "stages/train/register_train.h"

SNPFLOW_PLUGIN("torch-trainers", SNPFLOW_VERSION, "LibTorch trainers: dietnet, mlp, mlp-improved") {
  snpflow::RegisterTrainStages(registry);
}
