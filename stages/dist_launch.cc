#include "stages/dist_launch.h"

#include <cstdlib>

#include "pipeline/error.h"

namespace snpflow {

namespace {

const OptionSet<DistOptions>& DistOptionSet() {
  static const OptionSet<DistOptions> set = [] {
    OptionSet<DistOptions> s;
    DistOptions::Declare(s);
    return s;
  }();
  return set;
}

int64_t EnvInt(const std::function<const char*(const char*)>& getenv, const char* name,
               const std::string& hint) {
  const char* v = getenv(name);
  if (v == nullptr || *v == '\0')
    throw ConfigError("distributed run: environment variable " + std::string(name) +
                      " is not set; " + hint);
  char* end = nullptr;
  long long x = std::strtoll(v, &end, 10);
  if (end == v || *end != '\0')
    throw ConfigError("distributed run: " + std::string(name) + "='" + v +
                      "' is not an integer");
  return x;
}

}  // namespace

const std::vector<OptionDecl>& DistOptionDecls() { return DistOptionSet().decls(); }

DistOptions BuildDistOptions(const OptionValues& values) {
  DistOptions o = DistOptionSet().Build(values, "dist.");
  if (!(o.timeout > 0))
    throw ConfigError("--dist.timeout must be a positive number of seconds (got " +
                      FormatDoubleOption(o.timeout) + ")");
  if (!(o.rendezvous_timeout > 0))
    throw ConfigError("--dist.rendezvous-timeout must be a positive number of seconds (got " +
                      FormatDoubleOption(o.rendezvous_timeout) + ")");
  if (o.parallel != "data" && o.parallel != "snp")
    throw ConfigError("--dist.parallel must be 'data' or 'snp' (got '" + o.parallel + "')");
  return o;
}

LaunchEnv ReadLaunchEnv(bool requested,
                        const std::function<const char*(const char*)>& getenv) {
  LaunchEnv env;
  const char* world = getenv("WORLD_SIZE");
  const std::string torchrun_hint =
      "a torchrun-style launch sets MASTER_ADDR, MASTER_PORT, WORLD_SIZE and RANK "
      "(docs/distributed.md)";
  if (world != nullptr && *world != '\0') {
    env.launcher = "torchrun";
    env.world_size = static_cast<int>(EnvInt(getenv, "WORLD_SIZE", torchrun_hint));
    if (!requested && env.world_size <= 1) return env;
    env.rank = static_cast<int>(EnvInt(getenv, "RANK", torchrun_hint));
  } else if (requested && getenv("SLURM_NTASKS") != nullptr) {
    env.launcher = "slurm";
    const std::string hint = "run under srun (docs/distributed.md)";
    env.world_size = static_cast<int>(EnvInt(getenv, "SLURM_NTASKS", hint));
    env.rank = static_cast<int>(EnvInt(getenv, "SLURM_PROCID", hint));
  } else if (requested) {
    throw ConfigError("--dist: no launch environment; " + torchrun_hint +
                      ", or run under Slurm's srun with MASTER_ADDR set");
  } else {
    return env;
  }
  if (env.world_size < 1)
    throw ConfigError("distributed run: the world size must be at least 1 (got " +
                      std::to_string(env.world_size) + ")");
  if (env.rank < 0 || env.rank >= env.world_size)
    throw ConfigError("distributed run: rank " + std::to_string(env.rank) +
                      " is out of range 0.." + std::to_string(env.world_size - 1));
  const char* addr = getenv("MASTER_ADDR");
  if (addr == nullptr || *addr == '\0')
    throw ConfigError("distributed run: environment variable MASTER_ADDR is not set; set it to "
                      "rank 0's host name or address" +
                      std::string(env.launcher == "slurm"
                                      ? " (e.g. export MASTER_ADDR=$(scontrol show hostnames "
                                        "\"$SLURM_JOB_NODELIST\" | head -n 1))"
                                      : ""));
  env.master_addr = addr;
  const char* port = getenv("MASTER_PORT");
  if (port != nullptr && *port != '\0') {
    int64_t p = EnvInt(getenv, "MASTER_PORT", "");
    if (p < 1 || p > 65535)
      throw ConfigError("distributed run: MASTER_PORT=" + std::string(port) +
                        " is not a TCP port (1..65535)");
    env.master_port = static_cast<int>(p);
  }
  env.distributed = true;
  return env;
}

}  // namespace snpflow
