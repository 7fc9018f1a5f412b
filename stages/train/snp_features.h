#pragma once
/// The per-SNP features a Diet Network derives its first layer from, built from one fold's
/// training data only: from genotype counts (histogram, log allele frequencies, with a shrinkage
/// prior) or from the training samples' genotype vectors (random projection, raw, SNP2Vec).
/// Torch header: include only from stages/train/ and tests/train/.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "stages/train/models.h"

namespace snpflow {

enum class EmbeddingKind { kHistogram, kLogFreq, kRandom, kRaw, kSnp2Vec };

/// Parse "histogram", "log-freq", "random", "raw", "snp2vec"; throws ConfigError naming `where`.
EmbeddingKind ParseEmbeddingKind(const std::string& text, const std::string& where);
std::string EmbeddingKindName(EmbeddingKind kind);
/// True for the kinds computed from the training genotype matrix (random, raw, snp2vec).
bool NeedsGenotypes(EmbeddingKind kind);

/// Counts of one set of training samples: S x C x 4 (class, genotype 0/1/2/missing), float64.
torch::Tensor SumPartitionCounts(const uint16_t* counts, int64_t n_snps, int64_t n_classes,
                                 const std::vector<int>& partitions);

/// histogram: S x 4C, (n(j,c,g) + prior * n(j,.,g) / n(j,.,.)) / (n(j,c,.) + prior): each class's
/// genotype frequencies shrunk toward all classes' by `prior` pseudo-samples.
torch::Tensor HistogramEmbedding(const torch::Tensor& counts, double prior);

/// Per-class alternate allele frequencies, S x C: (alt + 0.5 + 2 prior pbar) /
/// (called alleles + 1 + 2 prior), pbar the all-class frequency (alt + 0.5) / (called + 1). Zero
/// counts stay finite.
torch::Tensor AlleleFrequencies(const torch::Tensor& counts, double prior);

/// log-freq: S x 2C, std_j * (log p - mean over classes, log(1 - p) - mean over classes): the
/// columns from which a linear map gives naive Bayes' weights on normalized inputs.
torch::Tensor LogFreqEmbedding(const torch::Tensor& freq, const torch::Tensor& std);

/// The training genotype matrix's SNP vectors as an embedding: `g` is N x S (normalized
/// genotypes of the fold's training samples). raw: S x N, g^T / sqrt(N). random: S x dim, raw
/// times a frozen N(0, 1) matrix. snp2vec: S x dim, the code of a denoising autoencoder (masking
/// noise 0.2, tanh code) trained on the raw rows for `epochs` epochs. Uses torch's global RNG.
torch::Tensor GenotypeEmbedding(EmbeddingKind kind, const torch::Tensor& g, int64_t dim,
                                int epochs);

/// Scale each column to unit L2 norm over SNPs (all-zero columns stay zero).
torch::Tensor NormalizeColumns(const torch::Tensor& e);

}  // namespace snpflow
