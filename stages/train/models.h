#pragma once
/// The LibTorch modules of the built-in trainers (torch header: include only from stages/train/
/// and tests/train/).
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>

namespace snpflow {

/// Shape and regularization of a GenotypeNet.
struct NetConfig {
  enum class Kind { kDietNet, kMlp };
  Kind kind = Kind::kDietNet;
  int64_t n_snps = 0;
  int64_t n_classes = 0;
  int64_t hidden = 100;      // H
  int64_t aux_hidden = 100;  // Ha (dietnet)
  double dropout1 = 0.5;
  double dropout2 = 0.5;
  bool decoder = false;      // dietnet: predict W_dec for the reconstruction loss

  int64_t embedding_cols() const { return 4 * n_classes; }
};

/// Return "dietnet" or "mlp".
std::string NetKindName(NetConfig::Kind kind);

/// The discriminative net x -> [W_enc] -> BN -> ReLU -> dropout -> Linear(H,H) -> BN -> ReLU ->
/// dropout -> Linear(H,C), whose first-layer weights W_enc (S x H) are either predicted from the
/// embedding (S x 4C) by an auxiliary net Linear(4C,Ha) -> ReLU -> Linear(Ha,H) (Diet Networks) or
/// free parameters (MLP). With `decoder`, a second aux net predicts W_dec (S x H) and the model
/// reconstructs x_hat = h1 W_dec^T from the first hidden representation h1.
class GenotypeNetImpl : public torch::nn::Module {
 public:
  /// `embedding` (S x 4C float) is kept as a buffer (saved with the model); ignored for kMlp.
  GenotypeNetImpl(const NetConfig& config, const torch::Tensor& embedding);

  struct Output {
    torch::Tensor logits;          // B x C
    torch::Tensor reconstruction;  // B x S, or undefined without a decoder
  };
  /// Return the first-layer weights W_enc (S x H).
  torch::Tensor EncoderWeights();
  /// Return W_dec (S x H); undefined without a decoder.
  torch::Tensor DecoderWeights();
  /// Run x (B x S) through the net. Pass `w_enc` to reuse weights computed once (evaluation).
  Output forward(const torch::Tensor& x, torch::Tensor w_enc = {});
  /// Number of trainable parameters.
  int64_t NumParameters() const;
  const NetConfig& config() const { return config_; }
  /// Batch norm in training mode, replacing the layers' own (distributed runs: statistics over
  /// every rank's slice, stages/train/distributed.h). Null: each BatchNorm1d's forward.
  using NormFn = std::function<torch::Tensor(torch::nn::BatchNorm1dImpl&, const torch::Tensor&)>;
  void set_train_norm(NormFn fn) { train_norm_ = std::move(fn); }

 private:
  torch::Tensor Norm(torch::nn::BatchNorm1d& bn, const torch::Tensor& h);
  NormFn train_norm_;
  NetConfig config_;
  torch::Tensor embedding_;  // buffer, S x 4C (dietnet)
  torch::nn::Linear enc1_{nullptr}, enc2_{nullptr}, dec1_{nullptr}, dec2_{nullptr};
  torch::Tensor w_free_;  // parameter, S x H (mlp)
  torch::nn::BatchNorm1d bn1_{nullptr}, bn2_{nullptr};
  torch::nn::Linear fc2_{nullptr}, out_{nullptr};
  torch::nn::Dropout drop1_{nullptr}, drop2_{nullptr};
};
TORCH_MODULE(GenotypeNet);

}  // namespace snpflow
