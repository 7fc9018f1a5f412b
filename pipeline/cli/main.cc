// snpflow: the command-line entry point and the only place that catches errors.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <string>

#include "pipeline/cli/commands.h"
#include "pipeline/error.h"
#include "pipeline/registry.h"
#ifdef SNPFLOW_WITH_TORCH
#include "stages/train/register_train.h"
#endif

namespace {

using Command = std::function<int(const snpflow::cli::Args&)>;

struct CommandInfo {
  Command run;
  const char* help;
};

const std::map<std::string, CommandInfo>& Commands() {
  using namespace snpflow::cli;
  static const std::map<std::string, CommandInfo> commands = {
      {"simulate", {SimulateCommand, "write a simulated VCF/BCF and panel (Balding-Nichols)"}},
      {"ingest", {IngestCommand, "VCF/BCF -> packed store, counts, per-fold stats and embedding"}},
      {"run", {RunCommand, "run a pipeline config (configs/*.ini)"}},
      {"stages", {StagesCommand, "list built-in and plugin stages with their options"}},
      {"export", {ExportCommand, "export a store to NumPy .npy files for other ML backends"}},
#ifdef SNPFLOW_WITH_TORCH
      {"train", {TrainCommand, "train Diet Networks / MLP over K folds"}},
      {"predict", {PredictCommand, "predict classes for the samples of a new VCF"}},
#endif
  };
  return commands;
}

void PrintUsage(std::FILE* out) {
  std::fprintf(out, "snpflow %s: streaming genotype pipeline for Diet Networks\n\n", SNPFLOW_VERSION);
  std::fprintf(out, "Usage: snpflow <command> [options]   (snpflow <command> --help)\n\nCommands:\n");
  for (const auto& [name, info] : Commands()) std::fprintf(out, "  %-10s %s\n", name.c_str(), info.help);
}

#ifdef SNPFLOW_WITH_TORCH
// LibTorch's OpenMP threads spin while idle, stealing the cores the batcher needs (measured: 4.5
// vs 1.0 s/epoch on a loaded 2-core machine). libgomp reads OMP_WAIT_POLICY when it is loaded,
// before main(), so the training commands set it and re-execute themselves once.
void PreferPassiveOpenMp(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  setenv("OMP_WAIT_POLICY", "passive", /*overwrite=*/0);
  execv("/proc/self/exe", argv);  // returns only on failure: then run as we are
}
#endif

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    PrintUsage(stderr);
    return 2;
  }
  std::string name = argv[1];
  if (name == "-h" || name == "--help" || name == "help") {
    PrintUsage(stdout);
    return 0;
  }
  if (name == "--version" || name == "version") {
    std::printf("snpflow %s\n", SNPFLOW_VERSION);
    return 0;
  }
  auto it = Commands().find(name);
  if (it == Commands().end()) {
    std::fprintf(stderr, "snpflow: error: unknown command '%s'\n\n", name.c_str());
    PrintUsage(stderr);
    return 2;
  }
#ifdef SNPFLOW_WITH_TORCH
  if (name == "train" || name == "run" || name == "predict") PreferPassiveOpenMp(argv);
#endif
  snpflow::cli::Args args(argv + 2, argv + argc);
  try {
#ifdef SNPFLOW_WITH_TORCH
    snpflow::RegisterTrainStages(snpflow::DefaultRegistry());
#endif
    return it->second.run(args);
  } catch (const snpflow::cli::UsageError& e) {
    std::fprintf(stderr, "snpflow %s: error: %s\n(see 'snpflow %s --help')\n", name.c_str(), e.what(),
                 name.c_str());
    return 2;
  } catch (const snpflow::Error& e) {
    std::fprintf(stderr, "snpflow: error: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "snpflow: error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "snpflow: error: %s\n", e.what());
    return 1;
  }
}
