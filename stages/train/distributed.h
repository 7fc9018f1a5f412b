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

// ---- SNP-parallel (--dist.parallel snp): each rank holds a contiguous range of SNPs ----

/// Return the elementwise sum of `x` over all ranks, autograd-aware: the backward pass
/// allreduces the incoming gradient too, so that with rank r's loss L_r, each rank's partial gets
/// d(sum_r L_r)/d(sum) (each partial enters the sum with derivative 1). Float32; one allreduce
/// forward, one backward. Install with GenotypeNetImpl::set_snp_reduce.
torch::Tensor AllreduceSumAutograd(Communicator& comm, const torch::Tensor& x);

/// Replace the gradient of each parameter in `params` by its sum over all ranks (each rank's
/// loss is its share of the whole loss). One flat bucket, one allreduce. Parameters without a
/// gradient are left alone.
void AllreduceGradientSums(Communicator& comm, const std::vector<torch::Tensor>& params);

/// Return the S x ... tensor whose rows [begin, begin + local.size(0)) are rank r's `local` and
/// whose S = `total` rows are covered by the ranks' disjoint ranges: a zero-padded float32
/// allreduce, in chunks of at most 2^24 elements. Every rank gets the whole tensor.
torch::Tensor GatherSnpRows(Communicator& comm, const torch::Tensor& local, int64_t begin,
                            int64_t total);

/// NormalizeColumns (stages/train/snp_features.h) over the SNPs of every rank: each column of
/// this rank's rows `e` divided by the column's L2 norm over all ranks' rows.
torch::Tensor NormalizeColumnsAcrossRanks(Communicator& comm, const torch::Tensor& e);

}  // namespace snpflow
