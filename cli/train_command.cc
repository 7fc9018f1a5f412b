// `snpflow train`: (VCF --labels PANEL | --data INGEST_DIR) -> K-fold training with a trainer stage
// (dietnet, mlp, mlp-improved or a plugin's). Options: --model, --train.<option> (the trainer's
// declared options), --batcher.batch-size, --train-folds; see `snpflow train --help`.
#include "cli/commands.h"
#include "cli/pipeline_config.h"

namespace snpflow::cli {

int TrainCommand(const Args& args) {
  // The same pipeline as `snpflow run`, with the trainer defaulting to dietnet
  // (ingest_command.cc); the fold loop itself is stages/train_runner.h.
  return RunPipelineCommand(args, static_cast<int>(PipelineMode::kTrain));
}

}  // namespace snpflow::cli
