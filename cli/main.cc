// snpflow: the command-line entry point and the only place that catches errors.
#include <dlfcn.h>
#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <string>

#include "cli/commands.h"
#include "pipeline/communicator.h"
#include "pipeline/error.h"
#include "pipeline/registry.h"
#include "pipeline/plugin_loader.h"
#include "stages/dist_launch.h"

namespace {

using Command = std::function<int(const snpflow::cli::Args&)>;

int PredictViaTorchModule(const snpflow::cli::Args& args);

struct CommandInfo {
  Command run;
  const char* help;
};

const std::map<std::string, CommandInfo>& Commands() {
  using namespace snpflow::cli;
  static const std::map<std::string, CommandInfo> commands = {
      {"simulate", {SimulateCommand, "write a simulated VCF/BCF and panel (Balding-Nichols)"}},
      {"ingest", {IngestCommand, "VCF/BCF -> packed store and genotype counts (per-fold stats derive from them)"}},
      {"run", {RunCommand, "run a pipeline config (configs/*.ini)"}},
      {"stages", {StagesCommand, "list built-in and plugin stages with their options"}},
      {"export", {ExportCommand, "export a store to NumPy .npy files for other ML backends"}},
      {"merge", {MergeCommand, "join ingest shards of SNP regions into one data set"}},
      {"train", {TrainCommand, "train Diet Networks / MLP over K folds"}},
      {"tune", {TuneCommand, "search a trainer's options on the validation partitions"}},
      {"predict", {PredictViaTorchModule, "predict classes for the samples of a new VCF"}},
      {"verify", {VerifyCommand, "check the files of an output directory against its manifest"}},
  };
  return commands;
}

void PrintUsage(std::FILE* out) {
  std::fprintf(out, "snpflow %s: streaming genotype pipeline for Diet Networks\n\n", SNPFLOW_VERSION);
  std::fprintf(out, "Usage: snpflow <command> [options]   (snpflow <command> --help)\n\nCommands:\n");
  for (const auto& [name, info] : Commands()) std::fprintf(out, "  %-10s %s\n", name.c_str(), info.help);
}

// The LibTorch trainers and `predict` are a module loaded on demand (stages/train/torch_module.cc):
// next to the executable in a build tree, in <prefix>/<libdir> when installed. "" if absent.
std::string TorchModulePath() {
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return "";
  exe[n] = '\0';
  std::string dir(exe);
  dir = dir.substr(0, dir.rfind('/'));
  for (const std::string& candidate :
       {dir + "/" SNPFLOW_TORCH_MODULE, dir + "/../" SNPFLOW_INSTALL_LIBDIR "/" SNPFLOW_TORCH_MODULE})
    if (access(candidate.c_str(), R_OK) == 0) return candidate;
  return "";
}

// Load the trainers into the default registry; returns the module's path ("" if not built).
std::string LoadTorchModule() {
  std::string path = TorchModulePath();
  if (path.empty()) return path;
  // LibTorch's OpenMP threads spin while idle, stealing the cores the batcher needs (measured:
  // 4.5 vs 1.0 s/epoch on a loaded 2-core machine). libgomp reads this when it is loaded, which
  // is now: set it first unless the user chose.
  setenv("OMP_WAIT_POLICY", "passive", /*overwrite=*/0);
  // Its stages are snpflow's own: their errors need no plugin name in front.
  snpflow::LoadPlugin(snpflow::DefaultRegistry(), path, snpflow::PluginErrors::kAsIs);
  return path;
}

int PredictViaTorchModule(const snpflow::cli::Args& args) {
  std::string path = LoadTorchModule();
  if (path.empty())
    throw snpflow::ConfigError("this snpflow was built without LibTorch; `predict` is unavailable");
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD);
  auto* predict = handle ? reinterpret_cast<int (*)(const snpflow::cli::Args*)>(
                               dlsym(handle, "snpflow_torch_predict"))
                         : nullptr;
  if (predict == nullptr)
    throw snpflow::PluginError(path + " has no snpflow_torch_predict; rebuild snpflow");
  return predict(&args);
}

// The message of an exception main() does not know: LibTorch's c10::Error without its C++
// backtrace (asked of the LibTorch module, the only code that knows the type), else what().
std::string ForeignErrorMessage(const std::exception& e) {
  const std::string path = TorchModulePath();
  void* handle = path.empty() ? nullptr : dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD);
  using TextFn = bool (*)(const std::exception*, std::string*);
  auto* text = handle ? reinterpret_cast<TextFn>(dlsym(handle, "snpflow_torch_error_text"))
                      : nullptr;
  std::string message;
  if (text != nullptr && text(&e, &message)) return message;
  return e.what();
}

}  // namespace

namespace snpflow::cli {

std::unique_ptr<Communicator> ConnectViaTorchModule(const LaunchEnv& env,
                                                    const DistOptions& options) {
  std::string path = TorchModulePath();
  void* handle = path.empty() ? nullptr : dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (handle == nullptr)
    throw ConfigError("this snpflow was built without LibTorch; distributed training (--dist) is "
                      "unavailable");
  using Connect = Communicator* (*)(const LaunchEnv*, const DistOptions*);
  auto* connect = reinterpret_cast<Connect>(dlsym(handle, "snpflow_torch_connect"));
  if (connect == nullptr)
    throw PluginError(path + " has no snpflow_torch_connect; rebuild snpflow");
  return std::unique_ptr<Communicator>(connect(&env, &options));
}

}  // namespace snpflow::cli

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
#if defined(M_MMAP_THRESHOLD) && defined(M_TRIM_THRESHOLD)
  if (name == "ingest") {
    // An ingest's buffers of up to 4 MB (htslib's decompression job pools, blocks, text blocks,
    // store tiles) come from the heap and stay there for reuse, up to 64 MB of free heap. glibc
    // would map each fresh until its threshold had risen (htslib's pools alone were ~15 MB of new
    // pages, unmapped at the reader's close), and with a fixed threshold it would hand freed heap
    // back above 128 KB: a VCF.gz ingest of 40K SNPs took 33K page faults with glibc's defaults,
    // 147K with the threshold alone, 11K so. Not for training: LibTorch's tensors above 4 MB would
    // be mapped fresh each time (dietnet, 2 epochs at 40K SNPs: 8.0 -> 11.4 s; 8.8 s at 32 MB),
    // where glibc's rising threshold (up to 32 MB) keeps them on the heap.
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
  }
#endif
  snpflow::cli::Args args(argv + 2, argv + argc);
  try {
    if (name == "train" || name == "run" || name == "stages" || name == "tune")
      LoadTorchModule();
    return it->second.run(args);
  } catch (const snpflow::ConfigError& e) {  // usage errors: options, values, stages
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
    std::fprintf(stderr, "snpflow: error: %s\n", ForeignErrorMessage(e).c_str());
    return 1;
  }
}
