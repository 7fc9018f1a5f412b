#pragma once
/// The built-in Communicator: PyTorch c10d's ProcessGroupGloo over a TCPStore rendezvous at
/// MASTER_ADDR:MASTER_PORT (rank 0 serves the store). Torch-free header.
#include <memory>

#include "pipeline/communicator.h"
#include "stages/dist_launch.h"

namespace snpflow {

/// Rendezvous with the other env.world_size - 1 ranks and return the connected group. Every
/// rendezvous and collective fails with DistributedError after options.timeout seconds.
///
/// Gloo's transport binds to the interface named by GLOO_SOCKET_IFNAME when set, to 127.0.0.1
/// when MASTER_ADDR is a loopback address, and otherwise to this host's name.
///
/// For tests only: SNPFLOW_TEST_DIE_AT_COLLECTIVE=N kills this process (SIGKILL) as it enters
/// its N-th collective (1-based), SNPFLOW_TEST_HANG_AT_COLLECTIVE=N makes it sleep there forever.
std::unique_ptr<Communicator> ConnectGloo(const LaunchEnv& env, const DistOptions& options);

}  // namespace snpflow
