#pragma once
/// Data-parallel training over a Communicator (torch header: include only from stages/train/ and
/// tests/train/). The torch trainer calls these at fixed points, identically on every rank.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "pipeline/communicator.h"

namespace snpflow {

/// Replace the gradient of each parameter in `params` by the mean over all ranks weighted by the
/// rows each rank's loss averaged over (`rows` here), i.e. the gradient of the loss averaged over
/// the whole minibatch: sum_r rows_r * grad_r / sum_r rows_r. One flat bucket, one allreduce.
/// Parameters without a gradient are left alone (the same on every rank: same graph).
void AllreduceGradients(Communicator& comm, const std::vector<torch::Tensor>& params,
                        int64_t rows);

/// Batch norm of `x` (this rank's rows x H) in training mode with the batch statistics of the
/// whole minibatch across ranks: one allreduce of 2H+1 sums forward and one of 2H backward. The
/// gradients it yields are scaled so that AllreduceGradients (weighted by each rank's rows) gives
/// exactly the single-process gradient. Updates bn's running statistics like BatchNorm1d does,
/// identically on every rank. Install with GenotypeNetImpl::set_train_norm.
torch::Tensor SyncBatchNorm(Communicator& comm, torch::nn::BatchNorm1dImpl& bn,
                            const torch::Tensor& x);

/// Copy rank 0's parameters to every rank (the start of training; buffers start equal).
void BroadcastModel(Communicator& comm, torch::nn::Module& model);

}  // namespace snpflow
