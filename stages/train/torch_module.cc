// The LibTorch trainers as a module the CLI loads with dlopen only when it trains or predicts, so
// other commands (ingest, simulate, export) don't pay LibTorch's ~0.5 s start-up. It uses the
// same entry point as any plugin: built-ins are not privileged.
#include <exception>
#include <string>

#include "pipeline/plugin.h"
#include "stages/train/gloo_communicator.h"
#include "stages/train/linear_trainer.h"
#include "stages/train/register_train.h"
#include "stages/train/torch_errors.h"

SNPFLOW_PLUGIN("torch-trainers", SNPFLOW_VERSION,
               "LibTorch trainers: dietnet, mlp, mlp-improved, linear") {
  snpflow::RegisterTrainStages(registry);
  snpflow::RegisterLinearTrainer(registry);
}
/// The message of a c10::Error without its backtrace, for the CLI's last-resort handler, which
/// does not know LibTorch's types. Returns false for any other exception.
extern "C" __attribute__((visibility("default"))) bool snpflow_torch_error_text(
    const std::exception* e, std::string* out) {
  return snpflow::TorchErrorText(*e, out);
}

/// A distributed run's communicator (c10d ProcessGroupGloo), resolved by the CLI with dlsym;
/// the caller owns the result. Throws DistributedError when the rendezvous fails.
extern "C" __attribute__((visibility("default"))) snpflow::Communicator* snpflow_torch_connect(
    const snpflow::LaunchEnv* env, const snpflow::DistOptions* options) {
  return snpflow::ConnectGloo(*env, *options).release();
}
