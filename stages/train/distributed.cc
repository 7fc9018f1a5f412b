#include "stages/train/distributed.h"

#include <algorithm>
#include <string>

namespace snpflow {

namespace {

// Flatten `tensors` into one float32 bucket, run `reduce` on it, and copy the result back.
template <class F>
void OverBucket(const std::vector<torch::Tensor>& tensors, F&& reduce) {
  if (tensors.empty()) return;
  std::vector<torch::Tensor> flat;
  flat.reserve(tensors.size());
  for (const auto& t : tensors) flat.push_back(t.detach().reshape({-1}).to(torch::kFloat32));
  torch::Tensor bucket = torch::cat(flat).contiguous();
  reduce(bucket);
  torch::NoGradGuard no_grad;
  int64_t offset = 0;
  for (const auto& t : tensors) {
    const int64_t n = t.numel();
    t.copy_(bucket.narrow(0, offset, n).view(t.sizes()));
    offset += n;
  }
}

// y = (x - mean) * invstd * weight + bias with mean/var over every rank's rows.
struct SyncBatchNormFunction : public torch::autograd::Function<SyncBatchNormFunction> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, torch::Tensor x,
                               torch::Tensor weight, torch::Tensor bias, Communicator* comm,
                               torch::nn::BatchNorm1dImpl* bn) {
    const int64_t h = x.size(1);
    torch::Tensor xd = x.detach().to(torch::kFloat64);
    torch::Tensor sums =
        torch::cat({xd.sum(0), (xd * xd).sum(0),
                    torch::full({1}, static_cast<double>(x.size(0)), torch::kFloat64)})
            .contiguous();
    comm->AllreduceSum(sums.data_ptr<double>(), static_cast<size_t>(sums.numel()));
    const double n = sums[2 * h].item<double>();
    torch::Tensor mean = sums.narrow(0, 0, h) / n;
    torch::Tensor var = (sums.narrow(0, h, h) / n - mean * mean).clamp_min(0);
    const double eps = bn->options.eps();
    torch::Tensor invstd = (var + eps).rsqrt().to(torch::kFloat32);
    torch::Tensor xhat = (x.detach() - mean.to(torch::kFloat32)) * invstd;
    {
      torch::NoGradGuard no_grad;
      const double m = bn->options.momentum().value_or(0.1);
      bn->running_mean.mul_(1 - m).add_(mean.to(torch::kFloat32), m);
      if (n > 1) bn->running_var.mul_(1 - m).add_((var * (n / (n - 1))).to(torch::kFloat32), m);
      bn->num_batches_tracked.add_(1);
    }
    ctx->save_for_backward({xhat, invstd, weight});
    ctx->saved_data["n"] = n;
    ctx->saved_data["share"] = static_cast<double>(x.size(0)) / n;
    ctx->saved_data["comm"] = static_cast<int64_t>(reinterpret_cast<intptr_t>(comm));
    return xhat * weight.detach() + bias.detach();
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    auto saved = ctx->get_saved_variables();
    torch::Tensor xhat = saved[0], invstd = saved[1], weight = saved[2];
    torch::Tensor dy = grads[0];
    const double n = ctx->saved_data["n"].toDouble();
    const double share = ctx->saved_data["share"].toDouble();
    auto* comm = reinterpret_cast<Communicator*>(
        static_cast<intptr_t>(ctx->saved_data["comm"].toInt()));
    torch::Tensor sum_dy = dy.sum(0);
    torch::Tensor sum_dy_xhat = (dy * xhat).sum(0);
    // Global sums of the gradient the whole-minibatch loss sends to y: this rank's loss is the
    // mean over its rows, so it enters the whole minibatch's mean with weight `share`.
    torch::Tensor sums = torch::cat({sum_dy, sum_dy_xhat}).to(torch::kFloat64).mul_(share);
    sums = sums.contiguous();
    comm->AllreduceSum(sums.data_ptr<double>(), static_cast<size_t>(sums.numel()));
    const int64_t h = xhat.size(1);
    torch::Tensor mean_dy = (sums.narrow(0, 0, h) / (n * share)).to(torch::kFloat32);
    torch::Tensor mean_dy_xhat = (sums.narrow(0, h, h) / (n * share)).to(torch::kFloat32);
    // Divided by `share`, since AllreduceGradients weighs this rank's parameter gradients by it.
    torch::Tensor dx = (dy - mean_dy - xhat * mean_dy_xhat) * (invstd * weight);
    return {dx, sum_dy_xhat, sum_dy, torch::Tensor(), torch::Tensor()};
  }
};

// y = sum over ranks of x; dy/dx = 1 for each rank's x, and the loss is the ranks' sum.
struct AllreduceSumFunction : public torch::autograd::Function<AllreduceSumFunction> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, torch::Tensor x,
                               Communicator* comm) {
    ctx->saved_data["comm"] = static_cast<int64_t>(reinterpret_cast<intptr_t>(comm));
    torch::Tensor y = x.detach().to(torch::kFloat32).contiguous().clone();
    comm->AllreduceSum(y.data_ptr<float>(), static_cast<size_t>(y.numel()));
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    auto* comm = reinterpret_cast<Communicator*>(
        static_cast<intptr_t>(ctx->saved_data["comm"].toInt()));
    torch::Tensor g = grads[0].to(torch::kFloat32).contiguous().clone();
    comm->AllreduceSum(g.data_ptr<float>(), static_cast<size_t>(g.numel()));
    return {g, torch::Tensor()};
  }
};

}  // namespace

torch::Tensor AllreduceSumAutograd(Communicator& comm, const torch::Tensor& x) {
  return AllreduceSumFunction::apply(x, &comm);
}

void AllreduceGradientSums(Communicator& comm, const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> grads;
  for (const auto& p : params)
    if (p.grad().defined()) grads.push_back(p.mutable_grad());
  OverBucket(grads, [&](torch::Tensor& bucket) {
    comm.AllreduceSum(bucket.data_ptr<float>(), static_cast<size_t>(bucket.numel()));
  });
}

torch::Tensor GatherSnpRows(Communicator& comm, const torch::Tensor& local, int64_t begin,
                            int64_t total) {
  std::vector<int64_t> shape = local.sizes().vec();
  shape[0] = total;
  torch::Tensor full = torch::zeros(shape, torch::kFloat32);
  {
    torch::NoGradGuard no_grad;
    full.narrow(0, begin, local.size(0)).copy_(local.detach());
  }
  constexpr int64_t kChunk = int64_t{1} << 24;
  float* data = full.data_ptr<float>();
  for (int64_t at = 0; at < full.numel(); at += kChunk)
    comm.AllreduceSum(data + at, static_cast<size_t>(std::min(kChunk, full.numel() - at)));
  return full;
}

torch::Tensor NormalizeColumnsAcrossRanks(Communicator& comm, const torch::Tensor& e) {
  torch::Tensor sq = e.to(torch::kFloat64).pow(2).sum(0).contiguous();
  comm.AllreduceSum(sq.data_ptr<double>(), static_cast<size_t>(sq.numel()));
  return e / sq.sqrt().to(e.scalar_type()).clamp_min(1e-12).unsqueeze(0);
}

torch::Tensor SyncBatchNorm(Communicator& comm, torch::nn::BatchNorm1dImpl& bn,
                            const torch::Tensor& x) {
  return SyncBatchNormFunction::apply(x, bn.weight, bn.bias, &comm, &bn);
}

void AllreduceGradients(Communicator& comm, const std::vector<torch::Tensor>& params,
                        int64_t rows) {
  std::vector<torch::Tensor> grads;
  for (const auto& p : params)
    if (p.grad().defined()) grads.push_back(p.mutable_grad());
  // The bucket carries this rank's row count as its last element, so the divisor is exact.
  std::vector<torch::Tensor> flat;
  flat.reserve(grads.size() + 1);
  for (const auto& g : grads) flat.push_back(g.reshape({-1}) * static_cast<float>(rows));
  flat.push_back(torch::full({1}, static_cast<float>(rows)));
  torch::Tensor bucket = torch::cat(flat).contiguous();
  comm.AllreduceSum(bucket.data_ptr<float>(), static_cast<size_t>(bucket.numel()));
  const int64_t n = bucket.numel() - 1;
  bucket.narrow(0, 0, n).div_(bucket[n]);
  int64_t offset = 0;
  for (auto& g : grads) {
    const int64_t k = g.numel();
    g.copy_(bucket.narrow(0, offset, k).view(g.sizes()));
    offset += k;
  }
}

void BroadcastModel(Communicator& comm, torch::nn::Module& model) {
  OverBucket(model.parameters(/*recurse=*/true), [&](torch::Tensor& bucket) {
    comm.Broadcast(bucket.data_ptr<float>(), static_cast<size_t>(bucket.numel()), /*root=*/0);
  });
}

}  // namespace snpflow
