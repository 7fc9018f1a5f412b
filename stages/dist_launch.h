#pragma once
/// Launching a distributed run the way the PyTorch ecosystem does: the torchrun environment
/// (MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK) or Slurm's (SLURM_PROCID, SLURM_NTASKS, plus
/// MASTER_ADDR/MASTER_PORT), and the `[dist]` options. Torch-free; docs/distributed.md.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/options.h"

namespace snpflow {

/// Options of a distributed run (config section `[dist]`, command line `--dist.<name>`).
struct DistOptions {
  static constexpr std::string_view kName = "dist";
  /// Seconds a collective may wait for the other ranks before the run fails.
  double timeout = 300;
  /// Seconds the rendezvous waits for every rank to start (ranks start at different times).
  double rendezvous_timeout = 600;
  /// "data": every rank holds all SNPs and trains on its slice of every minibatch. "snp": every
  /// rank holds a contiguous range of SNPs and sees every sample (Diet Networks only).
  std::string parallel = "data";

  static void Declare(OptionSet<DistOptions>& o) {
    o.Add("timeout", &DistOptions::timeout,
          "seconds a collective waits for the other ranks before failing");
    o.Add("rendezvous-timeout", &DistOptions::rendezvous_timeout,
          "seconds the start-up waits for every rank to join");
    o.Add("parallel", &DistOptions::parallel,
          "data: each rank trains on its slice of every minibatch (all SNPs on every rank); "
          "snp: each rank holds a range of SNPs and its part of the first layer (dietnet)");
  }
};

/// Return the declarations of DistOptions (for the CLI).
const std::vector<OptionDecl>& DistOptionDecls();
/// Return DistOptions from `values` (names without prefix); ConfigError on bad values.
DistOptions BuildDistOptions(const OptionValues& values);

/// Where this process sits in the job, from the launcher's environment.
struct LaunchEnv {
  bool distributed = false;  // false: a plain single-process run
  int rank = 0;
  int world_size = 1;
  std::string master_addr;  // rank 0's host; rank 0 serves the TCPStore there
  int master_port = 29500;  // torchrun's default
  std::string launcher;     // "torchrun" or "slurm", for messages
};

/// Read the launch environment through `getenv` (std::getenv in production, a map in tests).
/// torchrun variables win when WORLD_SIZE is set; otherwise, when `requested` (--dist), Slurm's
/// SLURM_PROCID/SLURM_NTASKS with MASTER_ADDR. A run is distributed when `requested` or
/// WORLD_SIZE > 1. Throws ConfigError naming the variable when one is missing or malformed.
LaunchEnv ReadLaunchEnv(bool requested,
                        const std::function<const char*(const char*)>& getenv);

}  // namespace snpflow
