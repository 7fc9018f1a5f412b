#pragma once
/// Collectives between the processes (ranks) of a distributed run, for trainers: plain buffers
/// only, so a plugin trainer uses them without torch. The built-in implementation is PyTorch
/// c10d's ProcessGroupGloo over a TCPStore rendezvous (stages/train/gloo_communicator.h); see
/// docs/distributed.md.
#include <cstddef>
#include <cstdint>
#include <string>

#include "pipeline/error.h"

namespace snpflow {

/// A collective failed: a peer rank died, hung past the timeout or is unreachable, or the
/// rendezvous did not complete. The message names this rank and the operation.
class DistributedError : public Error {
 public:
  using Error::Error;
  ~DistributedError() override;
};

/// The ranks of one job. Every rank must call the same collectives in the same order with the
/// same sizes. Each call blocks until every rank has contributed, or throws DistributedError
/// after the job's timeout. Not thread-safe: one caller at a time.
class Communicator {
 public:
  virtual ~Communicator();
  /// This process's rank, 0..world_size()-1. Rank 0 writes the outputs.
  virtual int rank() const = 0;
  /// Number of ranks.
  virtual int world_size() const = 0;
  /// Replace data[0..n) on every rank by its elementwise sum over all ranks.
  virtual void AllreduceSum(float* data, size_t n) = 0;
  /// Replace data[0..n) on every rank by its elementwise sum over all ranks.
  virtual void AllreduceSum(double* data, size_t n) = 0;
  /// Copy rank `root`'s data[0..n) to every rank.
  virtual void Broadcast(float* data, size_t n, int root) = 0;
  /// Return the payload bytes this rank has passed to collectives so far (for benchmarks).
  virtual uint64_t bytes_communicated() const = 0;
};

}  // namespace snpflow
