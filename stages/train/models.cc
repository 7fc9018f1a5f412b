#include "stages/train/models.h"

#include <cmath>

#include "stages/train/register_train.h"

namespace snpflow {

std::string NetKindName(NetConfig::Kind kind) {
  return kind == NetConfig::Kind::kDietNet ? "dietnet" : "mlp";
}

namespace {
int64_t TailParameters(int64_t classes, int64_t hidden) {
  return 2 * hidden + (hidden * hidden + hidden) + 2 * hidden + (hidden * classes + classes);
}
}  // namespace

int64_t DietNetParameterCount(int64_t n_snps, int64_t classes, int64_t hidden, int64_t aux_hidden,
                              bool decoder) {
  (void)n_snps;  // the point of Diet Networks: no parameter grows with S
  int64_t aux = (4 * classes * aux_hidden + aux_hidden) + (aux_hidden * hidden + hidden);
  return (decoder ? 2 : 1) * aux + TailParameters(classes, hidden);
}

int64_t MlpParameterCount(int64_t n_snps, int64_t classes, int64_t hidden) {
  return n_snps * hidden + TailParameters(classes, hidden);
}

GenotypeNetImpl::GenotypeNetImpl(const NetConfig& config, const torch::Tensor& embedding)
    : config_(config) {
  const int64_t h = config.hidden;
  if (config.kind == NetConfig::Kind::kDietNet) {
    embedding_ = register_buffer("embedding", embedding.to(torch::kFloat32).contiguous());
    enc1_ = register_module("enc1", torch::nn::Linear(config.embedding_cols(), config.aux_hidden));
    enc2_ = register_module("enc2", torch::nn::Linear(config.aux_hidden, h));
    if (config.decoder) {
      dec1_ = register_module("dec1", torch::nn::Linear(config.embedding_cols(), config.aux_hidden));
      dec2_ = register_module("dec2", torch::nn::Linear(config.aux_hidden, h));
    }
  } else {
    // As torch::nn::Linear initializes an S-input layer: U(-1/sqrt(S), 1/sqrt(S)).
    double bound = 1.0 / std::sqrt(static_cast<double>(std::max<int64_t>(config.n_snps, 1)));
    w_free_ = register_parameter("w", torch::empty({config.n_snps, h}).uniform_(-bound, bound));
  }
  bn1_ = register_module("bn1", torch::nn::BatchNorm1d(h));
  fc2_ = register_module("fc2", torch::nn::Linear(h, h));
  bn2_ = register_module("bn2", torch::nn::BatchNorm1d(h));
  out_ = register_module("out", torch::nn::Linear(h, config.n_classes));
  drop1_ = register_module("drop1", torch::nn::Dropout(config.dropout1));
  drop2_ = register_module("drop2", torch::nn::Dropout(config.dropout2));
}

torch::Tensor GenotypeNetImpl::EncoderWeights() {
  if (config_.kind == NetConfig::Kind::kMlp) return w_free_;
  return enc2_(torch::relu(enc1_(embedding_)));
}

torch::Tensor GenotypeNetImpl::DecoderWeights() {
  if (!dec1_) return {};
  return dec2_(torch::relu(dec1_(embedding_)));
}

GenotypeNetImpl::Output GenotypeNetImpl::forward(const torch::Tensor& x, torch::Tensor w_enc) {
  if (!w_enc.defined()) w_enc = EncoderWeights();
  // No bias on the first layer: BN right after it would cancel one.
  torch::Tensor h1 = torch::relu(Norm(bn1_, torch::matmul(x, w_enc)));
  Output out;
  if (dec1_ && is_training()) out.reconstruction = torch::matmul(h1, DecoderWeights().t());
  torch::Tensor h2 = torch::relu(Norm(bn2_, fc2_(drop1_(h1))));
  out.logits = out_(drop2_(h2));
  return out;
}

torch::Tensor GenotypeNetImpl::Norm(torch::nn::BatchNorm1d& bn, const torch::Tensor& h) {
  return is_training() && train_norm_ ? train_norm_(*bn, h) : bn(h);
}

int64_t GenotypeNetImpl::NumParameters() const {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

}  // namespace snpflow
