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

// The paper code's aux-net init with tanh: small uniform weights, zero biases.
void SmallUniform(torch::nn::Linear& layer) {
  torch::NoGradGuard no_grad;
  layer->weight.uniform_(-0.01, 0.01);
  layer->bias.zero_();
}
}  // namespace

int64_t DietNetParameterCount(int64_t n_snps, int64_t classes, int64_t hidden, int64_t aux_hidden,
                              bool decoder, int64_t embedding_cols, bool linear_path) {
  (void)n_snps;  // the point of Diet Networks: no parameter grows with S
  if (embedding_cols <= 0) embedding_cols = 4 * classes;
  int64_t aux = (embedding_cols * aux_hidden + aux_hidden) + (aux_hidden * hidden + hidden);
  int64_t linear = linear_path ? 1 + classes : 0;
  return (decoder ? 2 : 1) * aux + linear + TailParameters(classes, hidden);
}

int64_t MlpParameterCount(int64_t n_snps, int64_t classes, int64_t hidden) {
  return n_snps * hidden + TailParameters(classes, hidden);
}

GenotypeNetImpl::GenotypeNetImpl(const NetConfig& config, const SnpFeatures& features,
                                 const torch::Tensor& mean, const torch::Tensor& std)
    : config_(config) {
  const int64_t h = config.hidden;
  if (config.kind == NetConfig::Kind::kDietNet) {
    const int64_t f = config.embedding_cols > 0 ? config.embedding_cols : 4 * config.n_classes;
    config_.embedding_cols = f;
    features_.embedding =
        register_buffer("embedding", features.embedding.to(torch::kFloat32).clone());
    enc1_ = register_module("enc1", torch::nn::Linear(f, config.aux_hidden));
    enc2_ = register_module("enc2", torch::nn::Linear(config.aux_hidden, h));
    if (config.decoder) {
      dec1_ = register_module("dec1", torch::nn::Linear(f, config.aux_hidden));
      dec2_ = register_module("dec2", torch::nn::Linear(config.aux_hidden, h));
    }
    if (config.aux_tanh) {
      SmallUniform(enc1_), SmallUniform(enc2_);
      if (dec1_) SmallUniform(dec1_), SmallUniform(dec2_);
    }
    if (config.linear_path) {
      const int64_t c = config.n_classes;
      features_.log_p = register_buffer("log_p", features.log_p.to(torch::kFloat32).clone());
      features_.log_q = register_buffer("log_q", features.log_q.to(torch::kFloat32).clone());
      mean_ = register_buffer("mean", mean.to(torch::kFloat32).clone());
      std_ = register_buffer("std", std.to(torch::kFloat32).clone());
      lin_log_t_ = register_parameter("lin_log_t", torch::zeros({1}));
      lin_b_ = register_parameter("lin_b", torch::zeros({c}));
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
  if (config.linear_path) {  // start exactly at naive Bayes
    torch::NoGradGuard no_grad;
    out_->weight.zero_();
    out_->bias.zero_();
  }
}

GenotypeNetImpl::FirstLayer GenotypeNetImpl::Weights(const SnpFeatures* features) {
  FirstLayer w;
  if (config_.kind == NetConfig::Kind::kMlp) {
    w.enc = w_free_;
    return w;
  }
  const SnpFeatures& f = features != nullptr ? *features : features_;
  auto act = [this](const torch::Tensor& t) {
    return config_.aux_tanh ? torch::tanh(t) : torch::relu(t);
  };
  w.enc = enc2_(act(enc1_(f.embedding)));
  if (dec1_) w.dec = dec2_(act(dec1_(f.embedding)));
  if (config_.linear_path) {
    // t * sum_j [d_j log p_j + (2 - d_j) log q_j] with d_j = x_j s_j + m_j:
    // t * (x . (s * (P - Q)) + m . (P - Q) + 2 sum_j Q_j).
    torch::Tensor t = torch::exp(lin_log_t_);
    torch::Tensor diff = f.log_p - f.log_q;
    w.lin = diff * (std_.unsqueeze(1) * t);
    w.lin_const = t * (torch::matmul(mean_, diff) + 2 * f.log_q.sum(0));
  }
  return w;
}

GenotypeNetImpl::Output GenotypeNetImpl::forward(const torch::Tensor& x, const FirstLayer* w) {
  FirstLayer own;
  if (w == nullptr) own = Weights(), w = &own;
  torch::Tensor z = torch::matmul(x, w->enc);
  torch::Tensor lin;
  if (w->lin.defined()) lin = torch::matmul(x, w->lin) + w->lin_const;
  ReduceFirstLayer(&z, &lin);
  // No bias on the first layer: BN right after it would cancel one.
  torch::Tensor h1 = torch::relu(Norm(bn1_, z));
  Output out;
  if (w->dec.defined() && is_training()) out.reconstruction = torch::matmul(h1, w->dec.t());
  torch::Tensor h2 = torch::relu(Norm(bn2_, fc2_(drop1_(h1))));
  out.logits = out_(drop2_(h2));
  if (lin.defined()) out.logits = out.logits + lin;
  return out;
}

GenotypeNetImpl::Output GenotypeNetImpl::ForwardGrouped(const torch::Tensor& x,
                                                        const std::vector<torch::Tensor>& groups,
                                                        const std::vector<FirstLayer>& w) {
  const int64_t b = x.size(0);
  torch::Tensor z = torch::zeros({b, config_.hidden});
  torch::Tensor lin;
  if (config_.linear_path) lin = torch::zeros({b, config_.n_classes});
  std::vector<torch::Tensor> xs(groups.size());
  for (size_t g = 0; g < groups.size(); ++g) {
    if (groups[g].numel() == 0) continue;
    xs[g] = x.index_select(0, groups[g]);
    z = z.index_copy(0, groups[g], torch::matmul(xs[g], w[g].enc));
    if (lin.defined())
      lin = lin.index_copy(0, groups[g], torch::matmul(xs[g], w[g].lin) + w[g].lin_const);
  }
  ReduceFirstLayer(&z, &lin);
  torch::Tensor h1 = torch::relu(Norm(bn1_, z));
  Output out;
  if (dec1_ && is_training()) {
    torch::Tensor rec = torch::zeros({b, x.size(1)});
    for (size_t g = 0; g < groups.size(); ++g) {
      if (groups[g].numel() == 0) continue;
      rec = rec.index_copy(0, groups[g],
                           torch::matmul(h1.index_select(0, groups[g]), w[g].dec.t()));
    }
    out.reconstruction = rec;
  }
  torch::Tensor h2 = torch::relu(Norm(bn2_, fc2_(drop1_(h1))));
  out.logits = out_(drop2_(h2));
  if (lin.defined()) out.logits = out.logits + lin;
  return out;
}

void GenotypeNetImpl::SetTemperature(double t) {
  torch::NoGradGuard no_grad;
  if (lin_log_t_.defined()) lin_log_t_.fill_(std::log(t));
}

void GenotypeNetImpl::ApplyMaxNorm(double max_norm) {
  torch::NoGradGuard no_grad;
  for (auto& m : modules(/*include_self=*/false)) {
    auto* linear = m->as<torch::nn::Linear>();
    if (linear == nullptr) continue;
    torch::Tensor& w = linear->weight;  // out x in: one row per output unit
    torch::Tensor norms = w.norm(2, 1, /*keepdim=*/true).clamp_min(max_norm);
    w.mul_(max_norm / norms);
  }
  if (w_free_.defined())  // S x H: one column per hidden unit
    w_free_.mul_(max_norm / w_free_.norm(2, 0, /*keepdim=*/true).clamp_min(max_norm));
}

void GenotypeNetImpl::ReduceFirstLayer(torch::Tensor* z, torch::Tensor* lin) {
  if (snp_reduce_) {
    if (lin->defined()) {
      torch::Tensor sum = snp_reduce_(torch::cat({*z, *lin}, 1));
      *z = sum.narrow(1, 0, z->size(1));
      *lin = sum.narrow(1, z->size(1), lin->size(1));
    } else {
      *z = snp_reduce_(*z);
    }
  }
  if (lin->defined()) *lin = *lin + lin_b_;
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
