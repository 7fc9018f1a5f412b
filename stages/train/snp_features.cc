#include "stages/train/snp_features.h"

#include <cmath>

#include "pipeline/error.h"

namespace snpflow {

EmbeddingKind ParseEmbeddingKind(const std::string& text, const std::string& where) {
  if (text == "histogram") return EmbeddingKind::kHistogram;
  if (text == "log-freq") return EmbeddingKind::kLogFreq;
  if (text == "random") return EmbeddingKind::kRandom;
  if (text == "raw") return EmbeddingKind::kRaw;
  if (text == "snp2vec") return EmbeddingKind::kSnp2Vec;
  throw ConfigError(where + " must be histogram, log-freq, random, raw or snp2vec (got '" + text +
                    "')");
}

std::string EmbeddingKindName(EmbeddingKind kind) {
  switch (kind) {
    case EmbeddingKind::kHistogram: return "histogram";
    case EmbeddingKind::kLogFreq: return "log-freq";
    case EmbeddingKind::kRandom: return "random";
    case EmbeddingKind::kRaw: return "raw";
    case EmbeddingKind::kSnp2Vec: return "snp2vec";
  }
  return "?";
}

bool NeedsGenotypes(EmbeddingKind kind) {
  return kind == EmbeddingKind::kRandom || kind == EmbeddingKind::kRaw ||
         kind == EmbeddingKind::kSnp2Vec;
}

torch::Tensor SumPartitionCounts(const uint16_t* counts, int64_t n_snps, int64_t n_classes,
                                 const std::vector<int>& partitions) {
  const int64_t per = n_snps * n_classes * 4;
  torch::Tensor sum = torch::zeros({n_snps, n_classes, 4}, torch::kFloat64);
  for (int k : partitions) {
    torch::Tensor part =
        torch::from_blob(const_cast<uint16_t*>(counts) + static_cast<int64_t>(k) * per,
                         {n_snps, n_classes, 4}, torch::kInt16)  // same bits as uint16
            .to(torch::kInt32)
            .bitwise_and(0xFFFF);
    sum += part.to(torch::kFloat64);
  }
  return sum;
}

torch::Tensor HistogramEmbedding(const torch::Tensor& counts, double prior) {
  torch::Tensor n_c = counts.sum(2, /*keepdim=*/true);         // S x C x 1
  torch::Tensor pooled = counts.sum(1, /*keepdim=*/true);      // S x 1 x 4
  torch::Tensor pooled_freq = pooled / pooled.sum(2, true).clamp_min(1);
  torch::Tensor num = counts + prior * pooled_freq;
  torch::Tensor den = n_c + prior;
  torch::Tensor e = torch::where(den > 0, num / den.clamp_min(1e-12), torch::zeros_like(num));
  return e.reshape({counts.size(0), counts.size(1) * 4}).to(torch::kFloat32);
}

torch::Tensor AlleleFrequencies(const torch::Tensor& counts, double prior) {
  using torch::indexing::Slice;
  torch::Tensor het = counts.index({Slice(), Slice(), 1});
  torch::Tensor hom = counts.index({Slice(), Slice(), 2});
  torch::Tensor alt = het + 2 * hom;                                          // S x C
  torch::Tensor called = 2 * counts.index({Slice(), Slice(), Slice(0, 3)}).sum(2);  // alleles
  torch::Tensor pbar = (alt.sum(1, true) + 0.5) / (called.sum(1, true) + 1);  // S x 1
  return (alt + 0.5 + 2 * prior * pbar) / (called + 1 + 2 * prior);
}

torch::Tensor LogFreqEmbedding(const torch::Tensor& freq, const torch::Tensor& std) {
  torch::Tensor lp = torch::log(freq), lq = torch::log1p(-freq);
  lp = lp - lp.mean(1, true);
  lq = lq - lq.mean(1, true);
  torch::Tensor s = std.to(torch::kFloat64).unsqueeze(1);
  return torch::cat({lp * s, lq * s}, 1).to(torch::kFloat32);
}

torch::Tensor NormalizeColumns(const torch::Tensor& e) {
  return e / e.norm(2, 0, /*keepdim=*/true).clamp_min(1e-12);
}

torch::Tensor GenotypeEmbedding(EmbeddingKind kind, const torch::Tensor& g, int64_t dim,
                                int epochs) {
  const int64_t n = g.size(0);
  torch::Tensor raw = (g.t() / std::sqrt(static_cast<double>(std::max<int64_t>(n, 1))))
                          .contiguous();  // S x N
  if (kind == EmbeddingKind::kRaw) return raw;
  if (kind == EmbeddingKind::kRandom) return torch::matmul(raw, torch::randn({n, dim}));
  // SNP2Vec: a denoising autoencoder over SNPs (each SNP one example of N features).
  torch::nn::Linear enc(n, dim), dec(dim, n);
  std::vector<torch::Tensor> params = enc->parameters();
  for (const auto& p : dec->parameters()) params.push_back(p);
  torch::optim::Adam opt(params, torch::optim::AdamOptions(1e-3));
  const int64_t s = raw.size(0), batch = 128;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    torch::Tensor order = torch::randperm(s);
    for (int64_t b = 0; b < s; b += batch) {
      torch::Tensor idx = order.slice(0, b, std::min(b + batch, s));
      torch::Tensor u = raw.index_select(0, idx);
      torch::Tensor noisy = u * torch::bernoulli(torch::full_like(u, 0.8)) / 0.8;
      torch::Tensor loss = torch::mse_loss(dec(torch::tanh(enc(noisy))), u);
      opt.zero_grad();
      loss.backward();
      opt.step();
    }
  }
  torch::NoGradGuard no_grad;
  return torch::tanh(enc(raw)).contiguous();
}

}  // namespace snpflow
