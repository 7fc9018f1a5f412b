#pragma once
/// The `snpflow` subcommands. Each takes the arguments after the command name and returns the
/// exit status; errors are thrown as snpflow::Error and reported by main().
#include <memory>
#include <string>
#include <vector>

#include "pipeline/error.h"

namespace snpflow {
class Communicator;
struct DistOptions;
struct LaunchEnv;
}  // namespace snpflow

namespace snpflow::cli {

using Args = std::vector<std::string>;

int SimulateCommand(const Args& args);  // simulate_command.cc
int IngestCommand(const Args& args);    // ingest_command.cc
int RunCommand(const Args& args);       // ingest_command.cc: `snpflow run CONFIG`
int StagesCommand(const Args& args);    // stages_command.cc
int ExportCommand(const Args& args);    // export_command.cc
int MergeCommand(const Args& args);     // merge_command.cc
int TrainCommand(const Args& args);     // train_command.cc (needs LibTorch)
int PredictCommand(const Args& args);   // predict_command.cc (in the LibTorch module)
int VerifyCommand(const Args& args);    // verify_command.cc
int TuneCommand(const Args& args);      // tune_command.cc: search trainer options

/// Run what a parsed pipeline asks for: ingest (or load --data), export, train. Shared by
/// `ingest`, `run` and `train`.
int RunPipelineCommand(const Args& args, int mode);

/// Rendezvous with the other ranks of a distributed run through the LibTorch module's c10d/Gloo
/// communicator (main.cc); ConfigError when snpflow was built without LibTorch.
std::unique_ptr<Communicator> ConnectViaTorchModule(const LaunchEnv& env,
                                                    const DistOptions& options);

/// Thrown for bad command-line usage. Like every ConfigError (a bad option value, an unknown
/// option or stage), main() reports it with exit status 2.
struct UsageError : ConfigError {
  using ConfigError::ConfigError;
};

}  // namespace snpflow::cli
