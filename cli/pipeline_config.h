#pragma once
/// Command line + config file -> PipelineSpec. Boost.Program_options maps `[section] key = value`
/// to `section.key`, so `[filter] min-maf = 0.01` means `--filter.min-maf 0.01`. Parsed in two
/// passes: the first finds plugins, stages and the trainer; the second parses strictly against
/// the chosen stages' declared options. The command line wins over the config file.
#include <string>
#include <vector>

#include "stages/ingest_runner.h"
#include "pipeline/registry.h"

namespace snpflow {

struct PipelineSpec {
  IngestSpec ingest;
  std::string config_path;          // "" when none
  std::string data_dir;             // --data: an existing ingest output; skips the VCF pass
  std::string trainer;              // trainer stage name ("" = none), options in [train]
  OptionValues trainer_options;
  std::string baseline;             // --baseline: a second trainer on the same folds ("" = none)
  OptionValues baseline_options;    // --baseline.<option>
  OptionValues batcher_options;     // [batcher] batch-size, prefetch
  bool run_export = false;          // [pipeline] export = true or --export
  OptionValues export_options;      // [export]
  std::vector<std::string> plugins; // loaded into the registry by ParsePipeline
  std::vector<int> folds_to_run;    // --train-folds 0,1 ; empty = all
  bool dist = false;                // --dist: a distributed run (stages/dist_launch.h)
  OptionValues dist_options;        // [dist] timeout, parallel
  bool help = false;                // --help was given; `help_text` holds the usage
  std::string help_text;
};

/// Ranges of the run options shared by the commands (checked after parsing, shown in --help).
inline const OptionRange kThreadsRange = OptionRange::Ints(1, 4096);
inline const OptionRange kFoldsRange = OptionRange::Ints(3, 1000);  // test, valid, >= 1 train
inline const OptionRange kSeedRange = OptionRange::Ints(0, INT64_MAX);
inline const OptionRange kBlocksInFlightRange = OptionRange::Ints(0, 65536);

/// What a command accepts: `ingest` has no trainer; `train` defaults the trainer to dietnet.
enum class PipelineMode { kIngest, kRun, kTrain };

/// Parse `args` (after the command name). For kRun the first positional argument is the config
/// file. Loads plugins into `registry`. Throws ConfigError (unknown option, naming the file and
/// the nearest known option) or PluginError.
PipelineSpec ParsePipeline(const std::vector<std::string>& args, PipelineMode mode,
                           StageRegistry& registry);

}  // namespace snpflow
