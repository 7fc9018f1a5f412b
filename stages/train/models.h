#pragma once
/// The LibTorch modules of the built-in trainers (torch header: include only from stages/train/
/// and tests/train/).
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace snpflow {

/// Shape and regularization of a GenotypeNet.
struct NetConfig {
  enum class Kind { kDietNet, kMlp };
  Kind kind = Kind::kDietNet;
  int64_t n_snps = 0;
  int64_t n_classes = 0;
  int64_t hidden = 100;      // H
  int64_t aux_hidden = 100;  // Ha (dietnet)
  int64_t embedding_cols = 0;  // F: columns of the embedding the aux nets read (dietnet)
  double dropout1 = 0.5;
  double dropout2 = 0.5;
  bool decoder = false;      // dietnet: predict W_dec for the reconstruction loss
  bool aux_tanh = false;     // dietnet: tanh in the aux nets (else ReLU), small uniform init
  /// Add a linear path logits += t * naive Bayes scores (from log allele frequencies) + b, with a
  /// learned temperature t and class bias b; the tail's output layer then starts at zero, so the
  /// net starts as (tempered) naive Bayes.
  bool linear_path = false;
};

/// Return "dietnet" or "mlp".
std::string NetKindName(NetConfig::Kind kind);

/// The per-SNP inputs from which a GenotypeNet derives its first layer: the aux nets' embedding
/// (S x F) and, with the linear path, log p and log(1 - p) of each class's allele frequency (S x C
/// each). Cross-fitting trainers hold one set per training partition.
struct SnpFeatures {
  torch::Tensor embedding;  // S x F
  torch::Tensor log_p;      // S x C, or undefined without the linear path
  torch::Tensor log_q;      // S x C: log(1 - p)
};

/// The discriminative net x -> [W_enc] -> BN -> ReLU -> dropout -> Linear(H,H) -> BN -> ReLU ->
/// dropout -> Linear(H,C), whose first-layer weights W_enc (S x H) are either predicted from the
/// embedding (S x F) by an auxiliary net Linear(F,Ha) -> ReLU -> Linear(Ha,H) (Diet Networks) or
/// free parameters (MLP). With `decoder`, a second aux net predicts W_dec (S x H) and the model
/// reconstructs x_hat = h1 W_dec^T from the first hidden representation h1. With `linear_path`,
/// logits += t * sum_j [d_j log p_jc + (2 - d_j) log q_jc] + b_c, d_j the dosage (x_j s_j + m_j):
/// naive Bayes under Hardy-Weinberg with a learned temperature t (SetTemperature) and bias b.
class GenotypeNetImpl : public torch::nn::Module {
 public:
  /// `features` are kept as buffers (saved with the model; used at evaluation); `mean` and `std`
  /// (S) are the input normalization, needed by the linear path. Ignored for kMlp.
  GenotypeNetImpl(const NetConfig& config, const SnpFeatures& features,
                  const torch::Tensor& mean = {}, const torch::Tensor& std = {});

  /// The first layer as computed from one set of SnpFeatures.
  struct FirstLayer {
    torch::Tensor enc;        // S x H
    torch::Tensor dec;        // S x H, or undefined without a decoder
    torch::Tensor lin;        // S x C weights on the normalized input, or undefined
    torch::Tensor lin_const;  // C, without the class bias (added after the sum over SNPs)
  };
  struct Output {
    torch::Tensor logits;          // B x C
    torch::Tensor reconstruction;  // B x S, or undefined without a decoder
  };
  /// Return the first layer from `features` (default: the model's own buffers).
  FirstLayer Weights(const SnpFeatures* features = nullptr);
  /// Return the first-layer weights W_enc (S x H).
  torch::Tensor EncoderWeights() { return Weights().enc; }
  /// Run x (B x S) through the net. Pass `w` to reuse weights computed once (evaluation).
  Output forward(const torch::Tensor& x, const FirstLayer* w = nullptr);
  /// Run x with per-row first layers: rows `groups[g]` (int64 indices) use `w[g]`; batch norm
  /// sees the whole batch. For cross-fitting.
  Output ForwardGrouped(const torch::Tensor& x, const std::vector<torch::Tensor>& groups,
                        const std::vector<FirstLayer>& w);
  /// Set the linear path's temperature t (e.g. calibrated on cross-fitted training scores).
  void SetTemperature(double t);
  /// Rescale each output unit's incoming weights of every Linear to norm <= `max_norm`.
  void ApplyMaxNorm(double max_norm);
  /// Number of trainable parameters.
  int64_t NumParameters() const;
  const NetConfig& config() const { return config_; }
  /// Batch norm in training mode, replacing the layers' own (distributed runs: statistics over
  /// every rank's slice, stages/train/distributed.h). Null: each BatchNorm1d's forward.
  using NormFn = std::function<torch::Tensor(torch::nn::BatchNorm1dImpl&, const torch::Tensor&)>;
  void set_train_norm(NormFn fn) { train_norm_ = std::move(fn); }
  /// SNP-parallel runs (stages/train/snp_parallel.h): the model holds one rank's SNPs, and the
  /// first layer's sums over SNPs (B x H pre-activations, then B x C linear-path scores, side by
  /// side) are partial; `fn` returns their sum over all ranks (autograd-aware), in training and
  /// evaluation alike. Null: this process holds every SNP.
  using SnpReduceFn = std::function<torch::Tensor(const torch::Tensor&)>;
  void set_snp_reduce(SnpReduceFn fn) { snp_reduce_ = std::move(fn); }

 private:
  torch::Tensor Norm(torch::nn::BatchNorm1d& bn, const torch::Tensor& h);
  /// Sum the partial z (B x H) and lin (B x C, or undefined) over the ranks (snp_reduce_), then
  /// add the linear path's class bias.
  void ReduceFirstLayer(torch::Tensor* z, torch::Tensor* lin);
  NormFn train_norm_;
  SnpReduceFn snp_reduce_;
  NetConfig config_;
  SnpFeatures features_;     // buffers (dietnet)
  torch::Tensor mean_, std_;  // buffers, S (linear path)
  torch::nn::Linear enc1_{nullptr}, enc2_{nullptr}, dec1_{nullptr}, dec2_{nullptr};
  torch::Tensor lin_log_t_, lin_b_;  // linear path: log temperature (1), class bias (C)
  torch::Tensor w_free_;  // parameter, S x H (mlp)
  torch::nn::BatchNorm1d bn1_{nullptr}, bn2_{nullptr};
  torch::nn::Linear fc2_{nullptr}, out_{nullptr};
  torch::nn::Dropout drop1_{nullptr}, drop2_{nullptr};
};
TORCH_MODULE(GenotypeNet);

}  // namespace snpflow
